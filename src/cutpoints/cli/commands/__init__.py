"""One module per command: tune, demo, apply, curve, report, metrics, retarget.

Each module holds the command's function (its options are its parameters), its help
epilog and the few helpers only it needs; :mod:`cutpoints.cli._app` registers them.
"""

"""How both command lines (marcier, marcier-gateway) run: the log level of
-v, a bad setting told in one line with exit status 2, Ctrl+C 130."""
import logging
import sys


def run(program, function, verbose, errors):
    """Call function(); the exceptions of class errors are bad settings,
    printed as one line after the program's name"""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format='%(levelname)s %(name)s: %(message)s')
    try:
        function()
    except errors as exception:
        print(f"{program}: {exception}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0

"""The `marcier` command: set up, fill and serve a Marcier database."""
import argparse
import sys

from marcier_wire import command

from . import settings
from .settings import SettingsError


def _database(args):
    database = settings.parse_database(args.db)
    listen = f'{args.host}:{args.port}' if hasattr(args, 'port') else None
    settings.configure(database, listen=listen)
    return database


def setup(args):
    from . import database as db
    database = _database(args)
    created = db.create(database)
    print(f"{'Creating' if created else 'Upgrading'} {database} with "
        f"{', '.join(db.marcier_modules())} (this takes a minute)...",
        flush=True)
    db.activate(database)
    if args.demo:
        from . import demo
        print("Loading demo data...", flush=True)
        context = demo.load(database)
        for note in context.get('notes', []):
            print(note)
    print(f"Database {database} is ready.", flush=True)
    return database


def serve(args, demo_logins=False, in_worker=None):
    from . import database as db
    from . import server
    database = _database(args)
    if args.workers is not None and args.workers < 1:
        raise SettingsError("--workers must be 1 or more")
    if args.threads < 1:
        raise SettingsError("--threads must be 1 or more")
    server.check_port(args.host, args.port)
    if not db.is_set_up(database):
        raise SettingsError(
            f"database {database} is not set up: "
            f"run `marcier setup --db {database}` first")
    url = f'http://{args.host}:{args.port}/'

    def ready():
        print(f"Marcier is running at {url} (database {database.name}, "
            f"JSON-RPC at {url}{database.name}/rpc/)", flush=True)
        if not settings.SAO_ROOT.is_dir():
            print(f"The web client is missing from {settings.SAO_ROOT}: "
                "run `make sao` to install it.", flush=True)
        if demo_logins:
            from .demo import DEMO_LOGINS
            print(f"Demo logins: {', '.join(DEMO_LOGINS)}, "
                f"password {settings.DEMO_PASSWORD}", flush=True)
        print("Press Ctrl+C to stop.", flush=True)
    server.serve(database, args.host, args.port, cron=not args.no_cron,
        queue=not args.no_queue, on_ready=ready,
        workers=args.workers or server.default_workers(database),
        threads=args.threads, in_worker=in_worker, verbose=args.verbose)


def demo(args):
    args.demo = True
    from . import server
    server.check_port(args.host, args.port)
    setup(args)
    # The embedded demo fleet runs in the gunicorn worker: the back
    # office's commands reach it through that worker's in-process hub
    args.workers = args.workers or 1
    serve(args, demo_logins=True, in_worker='marcier_iot.embedded:start')


def parser():
    main = argparse.ArgumentParser(
        prog='marcier', description=__doc__)
    main.add_argument('-v', '--verbose', action='store_true',
        help="log what trytond does")
    commands = main.add_subparsers(dest='command', required=True)

    def command(name, function, help, server=False):
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(function=function)
        sub.add_argument('--db', metavar='URI',
            help="sqlite:///path/name.sqlite or postgresql://host:port/name "
            "(default: $TRYTOND_DATABASE_URI or var/marcier.sqlite)")
        if server:
            sub.add_argument('--host', default='127.0.0.1')
            sub.add_argument('--port', type=int, default=8000)
            sub.add_argument('--no-cron', action='store_true',
                help="do not run trytond-cron (the scheduled tasks)")
            sub.add_argument('--no-queue', action='store_true',
                help="do not run trytond-worker: queued tasks run after "
                "their request (always so on SQLite)")
            sub.add_argument('--workers', type=int, metavar='N',
                help="gunicorn worker processes (default: the number of "
                "CPUs on PostgreSQL, 1 on SQLite, which has one writer)")
            sub.add_argument('--threads', type=int, default=4, metavar='T',
                help="threads of each worker process (default 4)")
        return sub

    command('setup', setup,
        "create or upgrade a database and activate the Marcier modules"
        ).add_argument('--demo', action='store_true',
            help="also load the demo data (idempotent)")
    command('serve', serve, "serve the web client, JSON-RPC and the pages",
        server=True)
    command('demo', demo, "setup --demo, then serve", server=True)
    from .iot.cli import add_commands
    add_commands(command)
    return main


def main(argv=None):
    args = parser().parse_args(argv)
    return command.run('marcier', lambda: args.function(args),
        args.verbose, SettingsError)


if __name__ == '__main__':
    sys.exit(main())

"""gunicorn's settings under `marcier serve` (the command line of
marcier/server.py gives the address, workers and threads)."""
import os

# trytond.application imports the modules and loads the database's pool
# once, in the master: the workers share it and start at once
preload_app = True
# No control socket file left in the working folder
control_socket_disable = True


def post_worker_init(worker):
    """Run $MARCIER_IN_WORKER (module:function) with the database's name,
    if set; print what it returns"""
    name = os.environ.get('MARCIER_IN_WORKER')
    if not name:
        return
    from trytond.tools import resolve
    message = resolve(name.replace(':', '.'))(
        os.environ['TRYTOND_DATABASE_NAMES'])
    if message:
        print(message, flush=True)

# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The fleet map page and its files.

The page and its script hold no data: the script reads the vehicles through
JSON-RPC with the back office's session cookie, so the record rules apply.
The URL starts with the plain database name because trytond scopes that
cookie to the path /<database>.
"""
from pathlib import Path

from werkzeug.utils import send_from_directory

from trytond import config
from trytond.pool import Pool
from trytond.protocols.wrappers import HTTPStatus, abort
from trytond.wsgi import app

STATIC = Path(__file__).parent / 'static'
MAX_AGE = 60 * 60


def leaflet_root():
    "Where scripts/install-leaflet put Leaflet's dist folder, if known"
    root = config.get('marcier', 'leaflet_root', default=None)
    return Path(root) if root else None


def _send(request, folder, name, max_age=MAX_AGE):
    if folder is None or not folder.is_dir():
        abort(HTTPStatus.NOT_FOUND)
    response = send_from_directory(
        folder, name, request.environ, max_age=max_age)
    response.headers['X-Content-Type-Options'] = 'nosniff'
    return response


@app.route('/<database_name>/device/fleet-map', methods={'GET'})
def fleet_map(request, database_name):
    # Only databases this server has loaded (every one a user logged in
    # to): unlike with_pool, an anonymous request never makes trytond list
    # and open every database of the server
    if database_name not in Pool.database_list():
        abort(HTTPStatus.NOT_FOUND)
    try:
        Pool(database_name).get('device.vehicle')
    except KeyError:
        # marcier_device is installed but not activated in this database
        abort(HTTPStatus.NOT_FOUND)
    response = _send(request, STATIC, 'fleet_map.html', max_age=0)
    response.headers['Content-Security-Policy'] = (
        "default-src 'self'; img-src 'self' data: https:; "
        "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
    return response


@app.route('/<database_name>/device/fleet-map/leaflet/<path:name>',
    methods={'GET'})
def leaflet(request, database_name, name):
    return _send(request, leaflet_root(), name)


@app.route('/<database_name>/device/fleet-map/<name>', methods={'GET'})
def fleet_map_file(request, database_name, name):
    return _send(request, STATIC, name)

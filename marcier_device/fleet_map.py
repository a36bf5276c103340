# This file is part of Marcier. The COPYRIGHT file at the top level of this
# repository contains the full copyright notices and license terms.
"""The fleet map's data (issue 15): what one open map asks every few
seconds, sized for 10,000 vehicles.

The page asks for its viewport only: clusters from a grid GROUP BY (cells
of about CELL_PIXELS on screen at the zoom asked) while more than
MAX_VEHICLES vehicles are in view, else the vehicles themselves, and then
only those changed since its last poll.  Everything is read through the
caller's search, so the access rights and record rules of the back-office
session apply: agent staff see their own vehicles only, in clusters too."""
import datetime as dt
from urllib.parse import quote, urlencode

from sql import Select
from sql.aggregate import Avg, Count, Max, Min, Sum
from sql.conditionals import Case, Coalesce
from sql.functions import CurrentTimestamp, Floor

from trytond.i18n import gettext
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.rpc import RPC
from trytond.transaction import Transaction
from trytond.wizard import StateAction, Wizard

from .exceptions import FleetMapError

# Beyond this many vehicles in view, the map shows clusters
MAX_VEHICLES = 300
CELL_PIXELS = 80
MAX_ZOOM = 22
# A poll also answers what changed this long before the previous one: a
# listener's batch that began before that poll and committed after it
# stamped its vehicles with its start time
CURSOR_OVERLAP = dt.timedelta(seconds=10)
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# Seconds between two polls of an open map
INTERVAL = 5
# The page's strings: ir.message msg_fleet_map_<key>, in the reader's
# language (the field labels and status names come from fields_get)
LABELS = ['title', 'loading', 'key', 'follow', 'interval', 'back_office',
    'search', 'previous', 'next', 'page_range', 'no_match', 'updated',
    'failed', 'session_ended', 'no_position', 'key_on', 'key_off', 'never',
    'alarms_active', 'open', 'cluster', 'layer_blank', 'layer_osm']
POPUP_FIELDS = ['product', 'status', 'agent', 'customer', 'key_on', 'soc',
    'working_hours', 'last_seen', 'alarm_count']


class Vehicle(metaclass=PoolMeta):
    __name__ = 'device.vehicle'
    live_changed = fields.Timestamp("Live State Changed", readonly=True,
        help="When the listener last changed the live state or the alarm "
        "count: the fleet map's cursor.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.__rpc__.update({
                'fleet_map_setup': RPC(),
                'fleet_map': RPC(),
                'fleet_map_list': RPC(),
                })

    @classmethod
    def fleet_map_setup(cls):
        "The page's strings and settings in the reader's language"
        return {
            'labels': {k: gettext(f'marcier_device.msg_fleet_map_{k}')
                for k in LABELS},
            'fields': {n: f['string']
                for n, f in cls.fields_get(POPUP_FIELDS).items()},
            'statuses': cls.fields_get(['status'])['status']['selection'],
            'interval': INTERVAL,
            'max_vehicles': MAX_VEHICLES,
            'replay': False,
            }

    @classmethod
    def _fleet_map_visible(cls, domain):
        "SQL of the ids of the active vehicles the caller may read in domain"
        return cls.search(
            [('active', '=', True), *domain], order=[], query=True)

    @classmethod
    def fleet_map(cls, view):
        """What an open map shows of view = {
            'bounds': [south, west, north, east], 'zoom': int,
            'statuses': [shown statuses] or None for all,
            'since': the cursor of the previous answer or None,
            'known': [ids of the vehicles the map shows]}.

        Answers {'cursor', 'mode': 'clusters' or 'vehicles', 'total' in
        view, 'counts' {status: n} of the whole fleet, 'clusters' [[lat,
        lon, count, with alarms, key on, south, west, north, east]],
        'vehicles' [{...}] (all of them, or with 'since' only those changed
        since), 'gone' [known ids no longer in view], 'full', 'extent'
        [south, west, north, east] of the whole fleet}."""
        bounds, zoom, statuses, since, known = _parse_view(view)
        table = cls.__table__()
        cursor = Transaction().connection.cursor()
        south, west, north, east = bounds
        where_view = [
            ('latitude', '>=', south), ('latitude', '<=', north),
            ('longitude', '>=', west), ('longitude', '<=', east)]
        if statuses is not None:
            where_view.append(('status', 'in', statuses))
        in_view = table.id.in_(cls._fleet_map_visible(where_view))

        cursor.execute(*Select([CurrentTimestamp()]))
        now, = cursor.fetchone()
        if isinstance(now, str):  # SQLite
            now = dt.datetime.fromisoformat(now)
        if now.tzinfo:  # PostgreSQL's, naive UTC as Tryton stores times
            now = now.astimezone(dt.timezone.utc).replace(tzinfo=None)
        answer = {
            'cursor': (now - CURSOR_OVERLAP).isoformat(),
            'clusters': [], 'vehicles': [], 'gone': [],
            'full': since is None,
            }
        cursor.execute(*table.select(table.status, Count(),
                Min(table.latitude), Min(table.longitude),
                Max(table.latitude), Max(table.longitude),
                where=table.id.in_(cls._fleet_map_visible([])),
                group_by=[table.status]))
        rows = cursor.fetchall()
        answer['counts'] = {r[0]: r[1] for r in rows}
        # Where the vehicles are, for the map to fit them
        placed = [r[2:] for r in rows if r[2] is not None]
        answer['extent'] = [min(p[0] for p in placed),
            min(p[1] for p in placed), max(p[2] for p in placed),
            max(p[3] for p in placed)] if placed else None
        # The clusters also count the vehicles in view
        clusters = cls._fleet_map_clusters(table, in_view, zoom)
        answer['total'] = sum(c[2] for c in clusters)
        if answer['total'] > MAX_VEHICLES:
            answer.update(mode='clusters', clusters=clusters, full=True)
            return answer
        answer['mode'] = 'vehicles'
        where = in_view
        if since is not None:
            where &= ((Coalesce(table.write_date, table.create_date) > since)
                | (table.live_changed > since))
        cursor.execute(*table.select(*(getattr(table, c)
                    for c in _VEHICLE_COLUMNS),
                where=where, order_by=[table.serial]))
        answer['vehicles'] = [_vehicle_row(r) for r in cursor]
        if known:
            # What the map shows that left the view, the filter or the
            # caller's reach (transferred, archived)
            cursor.execute(*table.select(table.id,
                    where=in_view & table.id.in_(known)))
            present = {i for i, in cursor}
            answer['gone'] = sorted(set(known) - present)
        return answer

    @classmethod
    def _fleet_map_clusters(cls, table, in_view, zoom):
        "One cluster per grid cell of the zoom with vehicles in view"
        size = CELL_PIXELS * 360 / (256 * 2 ** zoom)
        row = Floor(table.latitude / size)
        column = Floor(table.longitude / size)
        cells = table.select(
            Avg(table.latitude), Avg(table.longitude), Count(),
            Sum(Case((table.alarm_count > 0, 1), else_=0)),
            Sum(Case((table.key_on == True, 1), else_=0)),  # noqa: E712
            Min(table.latitude), Min(table.longitude),
            Max(table.latitude), Max(table.longitude),
            where=in_view, group_by=[row, column])
        cursor = Transaction().connection.cursor()
        cursor.execute(*cells)
        return [[round(lat, 6), round(lon, 6), count, alarms, key_on,
                south, west, north, east]
            for lat, lon, count, alarms, key_on, south, west, north, east
            in cursor]

    @classmethod
    def fleet_map_list(cls, text=None, statuses=None, offset=0,
            limit=PAGE_SIZE):
        """A page of the map's sidebar: the vehicles whose serial, gateway
        or product matches text, by serial; {'total', 'vehicles'}"""
        if (not isinstance(offset, int) or not isinstance(limit, int)
                or offset < 0 or not 0 < limit <= MAX_PAGE_SIZE
                or not isinstance(text, (str, type(None)))):
            raise FleetMapError(gettext(
                    'marcier_device.msg_fleet_map_bad_page',
                    maximum=MAX_PAGE_SIZE))
        domain = [('active', '=', True)]
        if statuses is not None:
            domain.append(('status', 'in', _parse_statuses(statuses)))
        if text and text.strip():
            pattern = f'%{text.strip()}%'
            domain.append(['OR',
                    ('serial', 'ilike', pattern),
                    ('gateway_id', 'ilike', pattern),
                    ('product.name', 'ilike', pattern),
                    ])
        total = cls.search_count(domain)
        vehicles = cls.search(domain, offset=offset, limit=limit,
            order=[('serial', 'ASC'), ('id', 'ASC')])
        return {
            'total': total,
            'vehicles': [{
                    'id': v.id, 'serial': v.serial, 'status': v.status,
                    'product': v.product.rec_name if v.product else '',
                    'agent': v.agent.rec_name if v.agent else '',
                    'lat': v.latitude, 'lon': v.longitude,
                    'alarms': v.alarm_count or 0,
                    } for v in vehicles],
            }


# The columns of a vehicle on the map (popups read the rest on a click)
_VEHICLE_COLUMNS = ['id', 'serial', 'status', 'latitude', 'longitude',
    'key_on', 'soc', 'last_seen', 'alarm_count']


def _vehicle_row(row):
    id_, serial, status, lat, lon, key_on, soc, last_seen, alarms = row
    if isinstance(last_seen, str):  # SQLite
        last_seen = dt.datetime.fromisoformat(last_seen)
    return {'id': id_, 'serial': serial, 'status': status, 'lat': lat,
        'lon': lon, 'key_on': bool(key_on), 'soc': soc,
        'seen': epoch(last_seen), 'alarms': alarms or 0}


def epoch(value):
    "Seconds since 1970 of a naive UTC datetime, or None"
    if value is None:
        return None
    return int(value.replace(tzinfo=dt.timezone.utc).timestamp())


def _bad_view():
    return FleetMapError(gettext('marcier_device.msg_fleet_map_bad_view',
            maximum=2 * MAX_VEHICLES))


def _number(value):
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad_view()
    return float(value)


def _parse_statuses(statuses):
    Vehicle = Pool().get('device.vehicle')
    known = {s for s, _ in Vehicle.status.selection}
    if (not isinstance(statuses, list)
            or not all(isinstance(s, str) and s in known for s in statuses)):
        raise _bad_view()
    return statuses


def _parse_view(view):
    "(bounds, zoom, statuses, since, known) of a map's view, else an error"
    if not isinstance(view, dict):
        raise _bad_view()
    bounds = view.get('bounds')
    if not isinstance(bounds, list) or len(bounds) != 4:
        raise _bad_view()
    south, west, north, east = map(_number, bounds)
    if not (-90 <= south <= north <= 90) or west > east:
        raise _bad_view()
    # Leaflet's bounds go beyond ±180° when the map wraps around
    west, east = max(west, -180.0), min(east, 180.0)
    zoom = view.get('zoom')
    if (isinstance(zoom, bool) or not isinstance(zoom, int)
            or not 0 <= zoom <= MAX_ZOOM):
        raise _bad_view()
    statuses = view.get('statuses')
    if statuses is not None:
        statuses = _parse_statuses(statuses)
    since = view.get('since')
    if since is not None:
        try:
            since = dt.datetime.fromisoformat(since)
        except (TypeError, ValueError):
            raise _bad_view()
    known = view.get('known') or []
    if (not isinstance(known, list) or len(known) > 2 * MAX_VEHICLES
            or not all(isinstance(i, int) and not isinstance(i, bool)
                for i in known)):
        raise _bad_view()
    return (south, west, north, east), zoom, statuses, since, known


class OpenFleetMap(Wizard):
    "Open the live fleet map, centred on the vehicle it is opened from"
    __name__ = 'device.fleet_map.open'
    start_state = 'open_'
    open_ = StateAction('marcier_device.url_fleet_map')

    def do_open_(self, action):
        # The map lives under the database's path, where the session
        # cookie of the back office is sent
        url = f'/{quote(Transaction().database.name)}/device/fleet-map'
        parameters = self.map_parameters()
        if parameters:
            url += '?' + urlencode(parameters)
        action['url'] = url
        return action, {}

    def map_parameters(self):
        "The query of the map's URL"
        if (self.model and self.model.__name__ == 'device.vehicle'
                and self.record):
            return {'vehicle': self.record.id}
        return {}

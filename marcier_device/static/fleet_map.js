/* This file is part of Marcier. The COPYRIGHT file at the top level of
this repository contains the full copyright notices and license terms. */
/* The live fleet map (SPEC E1).  The page holds no data: it asks trytond's
JSON-RPC for the vehicles with the session cookie that the back office (sao)
set for this database, so the user's access rights and record rules apply:
an agent sees its own vehicles, an anonymous visitor sees nothing. */
'use strict';

(function() {
    const STATUSES = {
        available: {label: 'Available', colour: '#2e7d32'},
        rented: {label: 'Rented', colour: '#1565c0'},
        in_repair: {label: 'In Repair', colour: '#ef6c00'},
        retired: {label: 'Retired', colour: '#78909c'},
    };
    const FIELDS = [
        'serial', 'product.rec_name', 'status', 'agent.rec_name',
        'customer.rec_name', 'latitude', 'longitude', 'soc', 'key_on',
        'last_seen', 'alarm_count', 'working_hours', 'odometer'];
    // A vehicle silent for longer than this is shown as offline
    const OFFLINE_MINUTES = 15;
    const LABELLED = 60;
    const params = new URLSearchParams(window.location.search);
    const database = decodeURIComponent(
        window.location.pathname.split('/')[1]);
    const interval = Math.max(2, Number(params.get('interval')) || 5);
    const focus = Number(params.get('vehicle')) || null;
    const hidden = new Set();
    const markers = new Map();
    let context = null;
    let rpcId = 0;
    let map = null;
    let fitted = false;

    class NotLoggedIn extends Error {}

    async function rpc(method, ...params) {
        const response = await fetch(
            `/${encodeURIComponent(database)}/rpc/`, {
                method: 'POST',
                credentials: 'same-origin',
                headers: {
                    'Content-Type': 'application/json',
                    // Else trytond asks the browser for a Basic login
                    'X-Requested-With': 'XMLHttpRequest',
                },
                body: JSON.stringify({
                    id: ++rpcId, method: method,
                    params: [...params, context || {}]}),
            });
        if (response.status === 401 || response.status === 403) {
            throw new NotLoggedIn();
        }
        if (!response.ok) {
            throw new Error(`${response.status} ${response.statusText}`);
        }
        const answer = await response.json();
        if (answer.error) {
            throw new Error(answer.error.flat().filter(
                e => typeof e === 'string').join(': '));
        }
        return answer.result;
    }

    function show(message) {
        const box = document.getElementById('message');
        box.replaceChildren();
        const inner = document.createElement('div');
        inner.innerHTML = message;
        box.append(inner);
        box.hidden = false;
    }

    function text(value) {
        const span = document.createElement('span');
        span.textContent = value === null || value === undefined ?
            '' : String(value);
        return span.innerHTML;
    }

    function timestamp(value) {
        // trytond sends naive UTC datetimes as {__class__: 'datetime', ...}
        if (!value) {
            return null;
        }
        return new Date(Date.UTC(
            value.year, value.month - 1, value.day, value.hour || 0,
            value.minute || 0, value.second || 0));
    }

    function related(vehicle, name) {
        const value = vehicle[name + '.'];
        return value ? value.rec_name : '';
    }

    function isOffline(vehicle) {
        const seen = timestamp(vehicle.last_seen);
        return !seen || (Date.now() - seen) > OFFLINE_MINUTES * 60000;
    }

    function style(vehicle) {
        const status = STATUSES[vehicle.status] || STATUSES.retired;
        const offline = isOffline(vehicle);
        let border = offline ? status.colour : '#ffffff';
        if (vehicle.alarm_count) {
            border = '#c62828';
        }
        return {
            radius: vehicle.key_on ? 10 : 8,
            color: border,
            weight: vehicle.alarm_count ? 3 : 2,
            fillColor: status.colour,
            fillOpacity: offline ? 0.35 : 0.95,
            className: `vehicle-marker status-${vehicle.status}`,
        };
    }

    function popup(vehicle) {
        const seen = timestamp(vehicle.last_seen);
        const rows = [
            ['Product', text(related(vehicle, 'product'))],
            ['Status', text(STATUSES[vehicle.status].label)],
            ['Agent', text(related(vehicle, 'agent'))],
            ['Customer', text(related(vehicle, 'customer')) || '—'],
            ['Working', vehicle.key_on ? 'Key on' : 'Key off'],
            ['Charge', vehicle.soc === null ? '—' :
                `${vehicle.soc.toFixed(1)} %`],
            ['Hours', vehicle.working_hours === null ? '—' :
                vehicle.working_hours.toFixed(1)],
            ['Last seen', seen ? text(seen.toLocaleString()) : 'never'],
        ];
        if (vehicle.alarm_count) {
            rows.push(['Alarms',
                `<span class="alarm">${vehicle.alarm_count} active</span>`]);
        }
        const link = `/#${encodeURIComponent(database)}` +
            `/model/device.vehicle/${vehicle.id}`;
        return `<h2>${text(vehicle.serial)}</h2><table>` +
            rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`)
                .join('') +
            `</table><p><a href="${link}" target="_blank">` +
            'Open in the back office</a></p>';
    }

    function setUpMap(cities) {
        map = L.map('map', {zoomControl: true, worldCopyJump: true})
            .setView([34, 110], 5);
        const blank = L.layerGroup().addTo(map);
        const osm = L.tileLayer(
            'https://tile.openstreetmap.org/{z}/{x}/{y}.png', {
                maxZoom: 19,
                attribution: '&copy; OpenStreetMap contributors',
            });
        L.control.layers({
            'Service areas only (offline)': blank,
            'OpenStreetMap (needs internet)': osm,
        }, null, {position: 'topright'}).addTo(map);
        L.control.scale({imperial: false}).addTo(map);
        // Serials would pile up on each other when the whole country shows
        const far = () => map.getContainer().classList.toggle(
            'far', map.getZoom() < 9);
        map.on('zoomend', far);
        far();
        for (const city of cities) {
            L.circle([city.latitude, city.longitude], {
                radius: city.radius * 1000,
                color: '#9fb3c8', weight: 1, fillColor: '#ffffff',
                fillOpacity: 0.55, interactive: false,
            }).addTo(blank).bindTooltip(text(city.name), {
                permanent: true, direction: 'bottom', offset: [0, 10],
                className: 'city-label',
            });
        }
    }

    function renderLegend(vehicles) {
        const counts = {};
        for (const vehicle of vehicles) {
            counts[vehicle.status] = (counts[vehicle.status] || 0) + 1;
        }
        const legend = document.getElementById('legend');
        legend.replaceChildren(...Object.entries(STATUSES).map(
            ([status, {label, colour}]) => {
                const item = document.createElement('li');
                item.dataset.status = status;
                item.classList.toggle('off', hidden.has(status));
                item.title = 'Show or hide on the map';
                item.innerHTML = `<span class="dot" style="background:` +
                    `${colour}"></span>${label}<span class="count">` +
                    `${counts[status] || 0}</span>`;
                item.addEventListener('click', () => {
                    if (hidden.has(status)) {
                        hidden.delete(status);
                    } else {
                        hidden.add(status);
                    }
                    refresh();
                });
                return item;
            }));
    }

    function renderList(vehicles) {
        const list = document.getElementById('vehicles');
        list.replaceChildren(...vehicles.filter(
            v => !hidden.has(v.status)).map(vehicle => {
            const item = document.createElement('li');
            const colour = STATUSES[vehicle.status].colour;
            const alarms = vehicle.alarm_count ?
                `<span class="alarm">⚠ ${vehicle.alarm_count}</span>` : '';
            item.innerHTML = `<span class="dot" style="background:${colour}">` +
                `</span><span class="serial">${text(vehicle.serial)}</span>` +
                `${alarms}<span class="detail">` +
                `${text(related(vehicle, 'product'))} · ` +
                `${text(related(vehicle, 'agent'))}` +
                (vehicle.latitude === null ? ' · no position yet' : '') +
                '</span>';
            item.addEventListener('click', () => open(vehicle.id));
            return item;
        }));
    }

    function open(id) {
        const marker = markers.get(id);
        if (marker) {
            map.setView(marker.getLatLng(), Math.max(map.getZoom(), 12));
            marker.openPopup();
        }
    }

    function renderMarkers(vehicles) {
        const seen = new Set();
        for (const vehicle of vehicles) {
            if (hidden.has(vehicle.status) || vehicle.latitude === null
                    || vehicle.longitude === null) {
                continue;
            }
            seen.add(vehicle.id);
            const position = [vehicle.latitude, vehicle.longitude];
            let marker = markers.get(vehicle.id);
            if (marker && marker.options.className !==
                    style(vehicle).className) {
                // Leaflet cannot change the class of a drawn path
                marker.remove();
                markers.delete(vehicle.id);
                marker = null;
            }
            if (!marker) {
                // Few vehicles: their serials stay written next to them
                marker = L.circleMarker(position, style(vehicle))
                    // Leaflet writes a string tooltip as HTML
                    .bindPopup('').bindTooltip(text(vehicle.serial), {
                        permanent: vehicles.length <= LABELLED,
                        direction: 'right', offset: [8, 0],
                        className: 'vehicle-label',
                    }).addTo(map);
                markers.set(vehicle.id, marker);
            } else {
                marker.setLatLng(position).setStyle(style(vehicle));
            }
            marker.setPopupContent(popup(vehicle));
        }
        for (const [id, marker] of markers) {
            if (!seen.has(id)) {
                marker.remove();
                markers.delete(id);
            }
        }
        document.body.dataset.markers = markers.size;
    }

    function fit() {
        const group = L.featureGroup([...markers.values()]);
        if (markers.size) {
            map.fitBounds(group.getBounds().pad(0.2), {maxZoom: 12});
        }
    }

    let latest = [];

    async function load() {
        try {
            latest = await rpc('model.device.vehicle.search_read',
                [['active', '=', true]], 0, null, [['serial', 'ASC']], FIELDS);
        } catch (error) {
            if (error instanceof NotLoggedIn) {
                document.body.dataset.state = 'login';
                show('Your back-office session has ended.<br>' +
                    `<a href="/#${encodeURIComponent(database)}">` +
                    'Log in to Marcier</a>, then reload this page.');
            } else {
                document.getElementById('updated').textContent =
                    `Update failed: ${error.message}`;
            }
            return;
        }
        document.getElementById('message').hidden = true;
        refresh();
        if (!fitted || document.getElementById('follow').checked) {
            fit();
            fitted = true;
            if (focus) {
                open(focus);
            }
        }
        document.getElementById('updated').textContent =
            `${latest.length} vehicles · updated ` +
            new Date().toLocaleTimeString();
        document.body.dataset.state = 'ready';
        document.body.dataset.vehicles = latest.length;
    }

    function refresh() {
        renderLegend(latest);
        renderList(latest);
        renderMarkers(latest);
    }

    async function start() {
        document.getElementById('interval').textContent = interval;
        document.getElementById('back-office').href =
            `/#${encodeURIComponent(database)}`;
        if (typeof L === 'undefined') {
            document.body.dataset.state = 'error';
            show('The map library is missing on the server: ' +
                'run <code>make sao</code> (scripts/install-leaflet).');
            return;
        }
        try {
            context = await rpc('model.res.user.get_preferences', true);
        } catch (error) {
            document.body.dataset.state = 'login';
            show('The fleet map shows the vehicles you may see in the ' +
                'back office.<br>' +
                `<a href="/#${encodeURIComponent(database)}">` +
                'Log in to Marcier</a>, then reload this page.');
            return;
        }
        let cities = [];
        try {
            cities = await rpc('model.marcier.city.search_read',
                [], 0, null, null, ['name', 'latitude', 'longitude', 'radius']);
        } catch (error) {
            // The map works without the service areas
        }
        setUpMap(cities);
        await load();
        window.setInterval(load, interval * 1000);
    }

    start();
})();

/* This file is part of Marcier. The COPYRIGHT file at the top level of
this repository contains the full copyright notices and license terms. */
/* The live fleet map (SPEC E1, issue 15).  The page holds no data: it asks
trytond's JSON-RPC with the session cookie that the back office (sao) set
for this database, so the user's access rights and record rules apply: an
agent sees its own vehicles, an anonymous visitor sees nothing.

It asks for its viewport only (device.vehicle.fleet_map): clusters while
many vehicles are in view, else the vehicles, then only those changed since
the previous poll.  The sidebar pages through a server-side search.  With
marcier_iot, a replay panel plays a vehicle's track (fleet_replay). */
'use strict';

(function() {
    const COLOURS = {
        available: '#2e7d32',
        rented: '#1565c0',
        in_repair: '#ef6c00',
        retired: '#78909c',
    };
    // A vehicle silent for longer than this is shown as offline
    const OFFLINE_MINUTES = 15;
    const LABELLED = 60;
    const PAGE_SIZE = 50;
    const SPEEDS = [1, 10, 60, 300, 1800];
    const params = new URLSearchParams(window.location.search);
    const database = decodeURIComponent(
        window.location.pathname.split('/')[1]);
    const focus = Number(params.get('vehicle')) || null;
    const hidden = new Set();
    const markers = new Map();  // vehicle id → circle marker
    let setup = null;
    let context = null;
    let rpcId = 0;
    let map = null;
    let live = null;  // the layer of the live vehicles and clusters
    let clusters = null;
    let interval = 5;
    let fitted = false;
    let polling = null;  // the poll under way
    let again = false;  // the view changed during it
    let last = {key: null, mode: null, cursor: null};
    let pendingOpen = focus;
    let page = {text: '', offset: 0, total: 0};

    class NotLoggedIn extends Error {}

    async function rpc(method, ...args) {
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
                    params: [...args, context || {}]}),
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

    function label(key, values) {
        // The server's %(name)s placeholders
        return (setup.labels[key] || key).replace(
            /%\((\w+)\)s/g, (_, name) => String(values[name]));
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

    function loginLink(before) {
        // No session, so no translation: both languages
        show(before + `<a href="/#${encodeURIComponent(database)}">` +
            'Log in to Marcier 登录 Marcier</a>, then reload this page. ' +
            '然后重新加载本页。');
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

    function statusLabel(status) {
        const found = setup.statuses.find(([value]) => value === status);
        return found ? found[1] : status;
    }

    function isOffline(vehicle) {
        return !vehicle.seen ||
            (Date.now() / 1000 - vehicle.seen) > OFFLINE_MINUTES * 60;
    }

    function style(vehicle) {
        const colour = COLOURS[vehicle.status] || COLOURS.retired;
        const offline = isOffline(vehicle);
        let border = offline ? colour : '#ffffff';
        if (vehicle.alarms) {
            border = '#c62828';
        }
        return {
            radius: vehicle.key_on ? 10 : 8,
            color: border,
            weight: vehicle.alarms ? 3 : 2,
            fillColor: colour,
            fillOpacity: offline ? 0.35 : 0.95,
            className: `vehicle-marker status-${vehicle.status}`,
        };
    }

    async function popup(id) {
        // The details of one vehicle, read when its popup opens
        const [vehicle] = await rpc('model.device.vehicle.read', [id], [
            'serial', 'product.rec_name', 'status', 'agent.rec_name',
            'customer.rec_name', 'soc', 'key_on', 'working_hours',
            'last_seen', 'alarm_count']);
        const field = setup.fields;
        const name = n => vehicle[n + '.'] ? vehicle[n + '.'].rec_name : '';
        const seen = timestamp(vehicle.last_seen);
        const rows = [
            [field.product, text(name('product'))],
            [field.status, text(statusLabel(vehicle.status))],
            [field.agent, text(name('agent'))],
            [field.customer, text(name('customer')) || '—'],
            [field.key_on, text(label(vehicle.key_on ? 'key_on' : 'key_off'))],
            [field.soc, vehicle.soc === null ? '—' :
                `${vehicle.soc.toFixed(1)} %`],
            [field.working_hours, vehicle.working_hours === null ? '—' :
                vehicle.working_hours.toFixed(1)],
            [field.last_seen, text(seen ? seen.toLocaleString() :
                label('never'))],
        ];
        if (vehicle.alarm_count) {
            rows.push([field.alarm_count, '<span class="alarm">' +
                text(label('alarms_active', {count: vehicle.alarm_count})) +
                '</span>']);
        }
        const link = `/#${encodeURIComponent(database)}` +
            `/model/device.vehicle/${vehicle.id}`;
        let html = `<h2>${text(vehicle.serial)}</h2><table>` +
            rows.map(([k, v]) => `<tr><th>${text(k)}</th><td>${v}</td></tr>`)
                .join('') +
            `</table><p><a href="${link}" target="_blank">` +
            `${text(label('open'))}</a>`;
        if (setup.replay) {
            html += ' · <a href="#" class="replay-link">' +
                `${text(label('replay_replay'))}</a>`;
        }
        return html + '</p>';
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
            [label('layer_blank')]: blank,
            [label('layer_osm')]: osm,
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
        live = L.layerGroup().addTo(map);
        clusters = L.layerGroup().addTo(live);
        map.on('moveend', poll);
    }

    function renderLegend(counts) {
        const legend = document.getElementById('legend');
        legend.replaceChildren(...setup.statuses.map(([status, name]) => {
            const item = document.createElement('li');
            item.dataset.status = status;
            item.classList.toggle('off', hidden.has(status));
            item.innerHTML = `<span class="dot" style="background:` +
                `${COLOURS[status]}"></span>${text(name)}` +
                `<span class="count">${counts[status] || 0}</span>`;
            item.addEventListener('click', () => {
                if (hidden.has(status)) {
                    hidden.delete(status);
                } else {
                    hidden.add(status);
                }
                item.classList.toggle('off', hidden.has(status));
                page.offset = 0;
                loadList();
                poll();
            });
            return item;
        }));
    }

    function shownStatuses() {
        if (!hidden.size) {
            return null;
        }
        return setup.statuses.map(([s]) => s).filter(s => !hidden.has(s));
    }

    async function loadList() {
        let answer;
        try {
            answer = await rpc('model.device.vehicle.fleet_map_list',
                page.text, shownStatuses(), page.offset, PAGE_SIZE);
        } catch (error) {
            return;
        }
        page.total = answer.total;
        const list = document.getElementById('vehicles');
        list.replaceChildren(...answer.vehicles.map(vehicle => {
            const item = document.createElement('li');
            const alarms = vehicle.alarms ?
                `<span class="alarm">⚠ ${vehicle.alarms}</span>` : '';
            item.innerHTML = `<span class="dot" style="background:` +
                `${COLOURS[vehicle.status]}"></span>` +
                `<span class="serial">${text(vehicle.serial)}</span>` +
                `${alarms}<span class="detail">` +
                `${text(vehicle.product)} · ${text(vehicle.agent)}` +
                (vehicle.lat === null ?
                    ` · ${text(label('no_position'))}` : '') +
                '</span>';
            item.addEventListener('click', () => goTo(vehicle));
            return item;
        }));
        if (!answer.vehicles.length) {
            const item = document.createElement('li');
            item.className = 'muted';
            item.textContent = label('no_match');
            list.append(item);
        }
        document.getElementById('page').textContent = answer.total ?
            label('page_range', {
                first: page.offset + 1,
                last: page.offset + answer.vehicles.length,
                total: answer.total}) : '';
        document.getElementById('previous').disabled = page.offset <= 0;
        document.getElementById('next').disabled =
            page.offset + PAGE_SIZE >= answer.total;
    }

    function goTo(vehicle) {
        if (vehicle.lat === null || vehicle.lon === null) {
            return;
        }
        pendingOpen = vehicle.id;
        map.setView([vehicle.lat, vehicle.lon], Math.max(map.getZoom(), 16));
        openPending();
    }

    function openPending() {
        const marker = markers.get(pendingOpen);
        if (marker) {
            pendingOpen = null;
            marker.openPopup();
        }
    }

    function removeMarker(id) {
        const marker = markers.get(id);
        if (marker) {
            marker.remove();
            markers.delete(id);
        }
    }

    function placeVehicle(vehicle, labelled) {
        let marker = markers.get(vehicle.id);
        if (marker && marker.options.className !== style(vehicle).className) {
            // Leaflet cannot change the class of a drawn path
            removeMarker(vehicle.id);
            marker = null;
        }
        const position = [vehicle.lat, vehicle.lon];
        if (!marker) {
            marker = L.circleMarker(position, style(vehicle))
                // Leaflet writes a string tooltip as HTML
                .bindTooltip(text(vehicle.serial), {
                    permanent: labelled, direction: 'right', offset: [8, 0],
                    className: 'vehicle-label',
                })
                .bindPopup(() => '…')
                .addTo(live);
            marker.on('popupopen', async event => {
                event.popup.setContent(await popup(vehicle.id));
                const link = event.popup.getElement().querySelector(
                    '.replay-link');
                if (link) {
                    link.addEventListener('click', click => {
                        click.preventDefault();
                        replay.open(vehicle.id, vehicle.serial);
                    });
                }
            });
            markers.set(vehicle.id, marker);
        } else {
            marker.setLatLng(position).setStyle(style(vehicle));
        }
    }

    function clusterIcon(count, alarms) {
        const size = Math.round(28 + 8 * Math.log10(count));
        return L.divIcon({
            html: `<span>${count}</span>`,
            className: 'vehicle-cluster' + (alarms ? ' alarm' : ''),
            iconSize: [size, size],
        });
    }

    function renderClusters(cells) {
        for (const id of [...markers.keys()]) {
            removeMarker(id);
        }
        clusters.clearLayers();
        for (const [lat, lon, count, alarms, , south, west, north, east]
                of cells) {
            L.marker([lat, lon], {icon: clusterIcon(count, alarms)})
                .bindTooltip(text(label('cluster', {count, alarms})))
                .on('click', () => {
                    if (south === north && west === east) {
                        map.setView([lat, lon], map.getZoom() + 3);
                    } else {
                        map.fitBounds([[south, west], [north, east]],
                            {padding: [40, 40]});
                    }
                })
                .addTo(clusters);
        }
    }

    function renderVehicles(answer) {
        clusters.clearLayers();
        if (answer.full) {
            const present = new Set(answer.vehicles.map(v => v.id));
            for (const id of [...markers.keys()]) {
                if (!present.has(id)) {
                    removeMarker(id);
                }
            }
        }
        for (const id of answer.gone) {
            removeMarker(id);
        }
        const labelled = answer.total <= LABELLED;
        for (const vehicle of answer.vehicles) {
            placeVehicle(vehicle, labelled);
        }
    }

    function view() {
        const bounds = map.getBounds().pad(0.1);
        return {
            bounds: [
                Math.max(bounds.getSouth(), -90),
                bounds.getWest(),
                Math.min(bounds.getNorth(), 90),
                bounds.getEast()],
            zoom: map.getZoom(),
            statuses: shownStatuses(),
        };
    }

    async function poll() {
        if (!map || replay.active()) {
            return;
        }
        if (polling) {
            again = true;
            return;
        }
        const asked = view();
        const key = JSON.stringify(asked);
        // The same view as the previous answer of vehicles: what changed
        if (key === last.key && last.mode === 'vehicles') {
            asked.since = last.cursor;
            asked.known = [...markers.keys()];
        }
        let answer;
        polling = rpc('model.device.vehicle.fleet_map', asked);
        try {
            answer = await polling;
        } catch (error) {
            polling = null;
            if (error instanceof NotLoggedIn) {
                document.body.dataset.state = 'login';
                loginLink(text(label('session_ended')) + '<br>');
            } else {
                document.getElementById('updated').textContent =
                    label('failed', {error: error.message});
            }
            return;
        }
        polling = null;
        document.getElementById('message').hidden = true;
        last = {key, mode: answer.mode, cursor: answer.cursor};
        renderLegend(answer.counts);
        if (answer.mode === 'clusters') {
            renderClusters(answer.clusters);
        } else {
            renderVehicles(answer);
        }
        document.body.dataset.polls = Number(document.body.dataset.polls) + 1;
        document.body.dataset.mode = answer.mode;
        document.body.dataset.markers = markers.size;
        document.body.dataset.clusters = answer.clusters.length;
        document.body.dataset.total = answer.total;
        document.getElementById('updated').textContent = label('updated', {
            count: answer.total, time: new Date().toLocaleTimeString()});
        document.body.dataset.state = 'ready';
        openPending();
        const extent = JSON.stringify(answer.extent);
        if (answer.extent && (!fitted || (extent !== fitted &&
                document.getElementById('follow').checked))) {
            fitted = extent;
            const [south, west, north, east] = answer.extent;
            map.fitBounds(L.latLngBounds([[south, west], [north, east]])
                .pad(0.2), {maxZoom: 12});
        }
        if (again) {
            again = false;
            poll();
        }
    }

    // The replay panel: one vehicle's track with a time slider
    const replay = (function() {
        let group = null;
        let track = null;
        let cursor = null;
        let playing = false;
        let time = 0;  // the replayed instant, seconds since 1970
        let frame = null;
        let lastFrame = null;
        let vehicleIds = new Map();  // serial → id of the search's answer
        const $ = id => document.getElementById(id);

        function active() {
            return group !== null;
        }

        function localInput(date) {
            const shifted = new Date(
                date.getTime() - date.getTimezoneOffset() * 60000);
            return shifted.toISOString().slice(0, 16);
        }

        function format(seconds) {
            return new Date(seconds * 1000).toLocaleString();
        }

        async function findVehicles() {
            const answer = await rpc('model.device.vehicle.fleet_map_list',
                $('replay-vehicle').value, null, 0, 20);
            vehicleIds = new Map(answer.vehicles.map(v => [v.serial, v.id]));
            $('replay-vehicles').replaceChildren(...answer.vehicles.map(v => {
                const option = document.createElement('option');
                option.value = v.serial;
                return option;
            }));
            return answer.vehicles;
        }

        async function loadTrips(id, selected) {
            const select = $('replay-trip');
            const none = document.createElement('option');
            none.value = '';
            none.textContent = label('replay_no_trip');
            select.replaceChildren(none);
            if (!id) {
                return;
            }
            let trips = [];
            try {
                trips = await rpc('model.iot.trip.search_read',
                    [['vehicle', '=', id]], 0, 30, [['start', 'DESC']],
                    ['start', 'end', 'distance']);
            } catch (error) {
                // The period still works
            }
            for (const trip of trips) {
                const option = document.createElement('option');
                option.value = trip.id;
                const end = timestamp(trip.end);
                option.textContent = timestamp(trip.start).toLocaleString() +
                    (end ? ' → ' + end.toLocaleTimeString() : ' →') +
                    (trip.distance === null ? '' :
                        ` · ${trip.distance.toFixed(1)} ` +
                        label('replay_km'));
                select.append(option);
            }
            if (selected) {
                select.value = String(selected);
            }
            $('replay-period').hidden = Boolean(select.value);
        }

        async function open(id, serial, trip) {
            $('replay').hidden = false;
            $('replay-vehicle').value = serial || '';
            if (id) {
                vehicleIds.set(serial, id);
            }
            await loadTrips(id, trip);
            $('replay').scrollIntoView();
        }

        function clear() {
            pause();
            if (group) {
                group.remove();
            }
            group = track = cursor = null;
            $('replay-player').hidden = true;
        }

        function close() {
            clear();
            map.addLayer(live);
            document.body.dataset.replay = '';
            last.key = null;
            poll();
        }

        async function showTrack(event) {
            if (event) {
                event.preventDefault();
            }
            let id = vehicleIds.get($('replay-vehicle').value);
            if (!id) {
                const found = await findVehicles();
                if (found.length !== 1) {
                    return;
                }
                id = found[0].id;
            }
            const trip = Number($('replay-trip').value) || null;
            const from = new Date($('replay-from').value).getTime() / 1000;
            const to = new Date($('replay-to').value).getTime() / 1000;
            let answer;
            try {
                answer = trip ?
                    await rpc('model.device.vehicle.fleet_replay', id,
                        null, null, trip) :
                    await rpc('model.device.vehicle.fleet_replay', id,
                        from, to);
            } catch (error) {
                $('replay-player').hidden = false;
                $('replay-info').textContent = error.message;
                return;
            }
            clear();
            track = answer;
            group = L.layerGroup().addTo(map);
            map.removeLayer(live);
            $('replay-player').hidden = false;
            document.body.dataset.replay = 'shown';
            if (!answer.points.length) {
                $('replay-info').textContent = label('replay_empty');
                return;
            }
            const line = L.polyline(answer.points.map(p => [p[1], p[2]]), {
                color: '#1565c0', weight: 3, opacity: 0.8,
                className: 'replay-track'}).addTo(group);
            for (const [time, lat, lon, flags] of answer.events) {
                L.circleMarker([lat, lon], {radius: 6, color: '#ffffff',
                    weight: 2, fillColor: '#ef6c00', fillOpacity: 1,
                    className: 'replay-event'})
                    .bindTooltip(text(flags.map(f => setup.events[f] || f)
                        .join(', ') + ' · ' + format(time)))
                    .addTo(group);
            }
            for (const [time, lat, lon, kind, detail] of answer.alarms) {
                if (lat === null) {
                    continue;
                }
                L.marker([lat, lon], {icon: L.divIcon({
                    html: '⚠', className: 'replay-alarm',
                    iconSize: [22, 22]})})
                    .bindTooltip(text(`${kind} · ${format(time)}` +
                        (detail ? ` · ${detail}` : '')))
                    .addTo(group);
            }
            const first = answer.points[0];
            cursor = L.circleMarker([first[1], first[2]], {radius: 9,
                color: '#ffffff', weight: 3, fillColor: '#c62828',
                fillOpacity: 1, className: 'replay-cursor'})
                .bindTooltip(text(answer.vehicle.serial), {permanent: true,
                    direction: 'right', offset: [10, 0],
                    className: 'vehicle-label'})
                .addTo(group);
            map.fitBounds(line.getBounds().pad(0.2), {maxZoom: 16});
            const slider = $('replay-slider');
            slider.min = answer.points[0][0];
            slider.max = answer.points[answer.points.length - 1][0];
            // About a minute for the whole track
            const span = slider.max - slider.min;
            const speed = SPEEDS.reduce((best, s) =>
                Math.abs(span / s - 60) < Math.abs(span / best - 60) ?
                    s : best);
            $('replay-speed').value = String(speed);
            $('replay-info').textContent = label('replay_sampled', {
                shown: answer.points.length, total: answer.total});
            seek(Number(slider.min));
        }

        function position(time) {
            // Between the positions reported around time
            const points = track.points;
            let low = 0;
            let high = points.length - 1;
            while (low < high) {
                const middle = (low + high + 1) >> 1;
                if (points[middle][0] <= time) {
                    low = middle;
                } else {
                    high = middle - 1;
                }
            }
            const a = points[low];
            const b = points[Math.min(low + 1, points.length - 1)];
            const share = b[0] > a[0] ? (time - a[0]) / (b[0] - a[0]) : 0;
            return [a[1] + (b[1] - a[1]) * share,
                a[2] + (b[2] - a[2]) * share, a[3]];
        }

        function seek(instant) {
            if (!cursor) {
                return;
            }
            time = instant;
            $('replay-slider').value = time;
            const [lat, lon, speed] = position(time);
            cursor.setLatLng([lat, lon]);
            $('replay-time').textContent = format(time) +
                (speed === null ? '' : ` · ${speed.toFixed(0)} km/h`);
            document.body.dataset.replayTime = Math.round(time);
        }

        function step(now) {
            const slider = $('replay-slider');
            const elapsed = lastFrame === null ? 0 : (now - lastFrame) / 1000;
            lastFrame = now;
            const speed = Number($('replay-speed').value);
            seek(Math.min(Number(slider.max), time + elapsed * speed));
            if (time >= Number(slider.max)) {
                pause();
                document.body.dataset.replay = 'ended';
                return;
            }
            frame = window.requestAnimationFrame(step);
        }

        function play() {
            if (!cursor) {
                return;
            }
            const slider = $('replay-slider');
            if (time >= Number(slider.max)) {
                seek(Number(slider.min));
            }
            playing = true;
            lastFrame = null;
            $('replay-play').textContent = label('replay_pause');
            document.body.dataset.replay = 'playing';
            frame = window.requestAnimationFrame(step);
        }

        function pause() {
            playing = false;
            if (frame !== null) {
                window.cancelAnimationFrame(frame);
                frame = null;
            }
            $('replay-play').textContent = label('replay_play');
        }

        function setUp() {
            $('replay').hidden = false;
            const day = new Date();
            $('replay-to').value = localInput(day);
            $('replay-from').value = localInput(
                new Date(day.getTime() - 86400000));
            $('replay-speed').replaceChildren(...SPEEDS.map(s => {
                const option = document.createElement('option');
                option.value = String(s);
                option.textContent = `${s}×`;
                return option;
            }));
            let typing = null;
            $('replay-vehicle').addEventListener('input', () => {
                window.clearTimeout(typing);
                typing = window.setTimeout(async () => {
                    await findVehicles();
                    const id = vehicleIds.get($('replay-vehicle').value);
                    if (id) {
                        loadTrips(id);
                    }
                }, 300);
            });
            $('replay-trip').addEventListener('change', () => {
                $('replay-period').hidden = Boolean($('replay-trip').value);
            });
            $('replay-form').addEventListener('submit', showTrack);
            $('replay-play').addEventListener('click',
                () => playing ? pause() : play());
            $('replay-close').addEventListener('click', close);
            $('replay-slider').addEventListener('input', () => {
                seek(Number($('replay-slider').value));
            });
        }

        return {active, open, setUp, show: showTrack, close};
    })();

    function translatePage() {
        document.documentElement.lang =
            (context.language || 'en').replace('_', '-');
        for (const element of document.querySelectorAll('[data-label]')) {
            element.textContent = label(element.dataset.label);
        }
        document.title = `${label('title')} · Marcier`;
        document.getElementById('interval').textContent =
            label('interval', {seconds: interval});
        document.getElementById('search-text').placeholder = label('search');
    }

    function setUpList() {
        let typing = null;
        document.getElementById('search-text').addEventListener(
            'input', event => {
                window.clearTimeout(typing);
                typing = window.setTimeout(() => {
                    page.text = event.target.value;
                    page.offset = 0;
                    loadList();
                }, 300);
            });
        document.getElementById('previous').addEventListener('click', () => {
            page.offset = Math.max(0, page.offset - PAGE_SIZE);
            loadList();
        });
        document.getElementById('next').addEventListener('click', () => {
            page.offset += PAGE_SIZE;
            loadList();
        });
    }

    async function start() {
        document.getElementById('back-office').href =
            `/#${encodeURIComponent(database)}`;
        if (typeof L === 'undefined') {
            document.body.dataset.state = 'error';
            show('The map library is missing on the server: ' +
                'run <code>make sao</code> (scripts/install-leaflet).<br>' +
                '服务器缺少地图库：请运行 <code>make sao</code>。');
            return;
        }
        try {
            context = await rpc('model.res.user.get_preferences', true);
            setup = await rpc('model.device.vehicle.fleet_map_setup');
        } catch (error) {
            document.body.dataset.state = 'login';
            loginLink('The fleet map shows the vehicles you may see in the ' +
                'back office. 车队地图显示您在后台可以看到的车辆。<br>');
            return;
        }
        interval = Math.max(2, Number(params.get('interval')) ||
            setup.interval);
        document.body.dataset.polls = 0;
        translatePage();
        let cities = [];
        try {
            cities = await rpc('model.marcier.city.search_read',
                [], 0, null, null, ['name', 'latitude', 'longitude', 'radius']);
        } catch (error) {
            // The map works without the service areas
        }
        setUpMap(cities);
        setUpList();
        loadList();
        if (setup.replay) {
            replay.setUp();
        }
        if (focus) {
            // The vehicle the map is opened from, wherever it is
            try {
                const [vehicle] = await rpc('model.device.vehicle.read',
                    [focus], ['serial', 'latitude', 'longitude']);
                if (setup.replay && params.get('replay')) {
                    await replay.open(focus, vehicle.serial,
                        Number(params.get('trip')) || null);
                    if (params.get('trip')) {
                        await replay.show();
                    }
                } else if (vehicle.latitude !== null) {
                    fitted = true;
                    map.setView([vehicle.latitude, vehicle.longitude], 16);
                }
            } catch (error) {
                pendingOpen = null;
            }
        }
        await poll();
        window.setInterval(poll, interval * 1000);
        window.setInterval(loadList, interval * 6000);
    }

    start();
})();

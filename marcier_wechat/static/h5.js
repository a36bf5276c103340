// Location of a repair request: WeChat JS-SDK inside WeChat (config signed
// by the server from the jsapi_ticket), the browser's geolocation elsewhere.
// The page gives the texts in its language (data-unavailable, data-refused).
(function () {
    'use strict';
    var button = document.getElementById('locate');
    if (!button) {
        return;
    }
    var status = document.getElementById('location');

    function fill(latitude, longitude) {
        document.getElementById('latitude').value = latitude;
        document.getElementById('longitude').value = longitude;
        status.textContent = latitude.toFixed(5) + ', ' + longitude.toFixed(5);
    }

    function browser() {
        if (!navigator.geolocation) {
            status.textContent = button.dataset.unavailable;
            return;
        }
        navigator.geolocation.getCurrentPosition(function (position) {
            fill(position.coords.latitude, position.coords.longitude);
        }, function () {
            status.textContent = button.dataset.refused;
        }, {timeout: 10000});
    }

    button.addEventListener('click', function () {
        var data = button.dataset;
        if (data.signature && window.wx) {
            window.wx.config({
                appId: data.appid,
                timestamp: Number(data.timestamp),
                nonceStr: data.nonce,
                signature: data.signature,
                jsApiList: ['getLocation'],
            });
            window.wx.ready(function () {
                window.wx.getLocation({
                    type: 'gcj02',
                    success: function (result) {
                        fill(result.latitude, result.longitude);
                    },
                    fail: browser,
                });
            });
            window.wx.error(browser);
        } else {
            browser();
        }
    });
}());

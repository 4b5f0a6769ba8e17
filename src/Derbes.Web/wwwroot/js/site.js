// Progressive enhancement only: every page works without this file.
(function () {
    "use strict";

    // Show / hide password.
    document.querySelectorAll("[data-toggle-password]").forEach(function (button) {
        var input = document.getElementById(button.getAttribute("data-toggle-password"));
        if (!input) { return; }
        button.hidden = false;
        button.setAttribute("aria-pressed", "false");
        button.addEventListener("click", function () {
            var show = input.type === "password";
            input.type = show ? "text" : "password";
            button.textContent = show ? button.getAttribute("data-hide") : button.getAttribute("data-show");
            button.setAttribute("aria-pressed", show ? "true" : "false");
        });
    });

    // Strength hint: length is what matters (NIST 800-63B); the server decides.
    document.querySelectorAll("input[data-strength]").forEach(function (input) {
        var output = document.getElementById(input.getAttribute("data-strength"));
        var recommended = parseInt(input.getAttribute("data-recommended"), 10) || 15;
        var minimum = parseInt(input.getAttribute("minlength"), 10) || 8;
        if (!output) { return; }
        input.addEventListener("input", function () {
            var length = Array.from(input.value).length;
            var level = length === 0 ? "" : length < minimum ? "weak" : length < recommended ? "fair" : "good";
            output.setAttribute("data-level", level);
            output.textContent = level ? output.getAttribute("data-" + level) : "";
        });
    });

    // Tell about too many or too large files before a long upload; the server checks again.
    document.querySelectorAll("form[data-max-files]").forEach(function (form) {
        var input = form.querySelector("input[type=file]");
        var error = input && document.getElementById("documents-error");
        if (!input || !error) { return; }
        var maxFiles = parseInt(form.getAttribute("data-max-files"), 10);
        var maxBytes = parseInt(form.getAttribute("data-max-bytes"), 10);
        input.addEventListener("change", function () {
            var message = "";
            if (input.files.length > maxFiles) {
                message = input.getAttribute("data-too-many");
            } else {
                Array.from(input.files).forEach(function (file) {
                    if (file.size > maxBytes) { message = input.getAttribute("data-too-large"); }
                });
            }
            error.textContent = message;
            input.setCustomValidity(message);
            input.setAttribute("aria-invalid", message ? "true" : "false");
        });
    });

    // The cabinet's row of sections scrolls sideways on a phone: bring the current one into view, so the customer
    // sees where they are (moving the row only, never the page).
    document.querySelectorAll(".cabinet-nav ul").forEach(function (row) {
        var current = row.querySelector("[aria-current=page]");
        if (!current || row.scrollWidth <= row.clientWidth) { return; }
        var left = current.offsetLeft - row.offsetLeft;
        if (left < row.scrollLeft || left + current.offsetWidth > row.scrollLeft + row.clientWidth) {
            row.scrollLeft = left - (row.clientWidth - current.offsetWidth) / 2;
        }
    });
    // A campaign's SMS length as the network counts it (Campaigns/SmsSegments.cs counts the same on the server): the
    // GSM 7-bit alphabet fits 160 characters in one SMS and 153 in each part, anything else (Cyrillic) 70 and 67.
    var gsm = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
    var gsmExtension = "^{}\\[~]|€\f";
    function smsLength(text) {
        var septets = 0;
        for (var i = 0; i < text.length; i++) {
            var c = text.charAt(i);
            if (gsm.indexOf(c) >= 0) { septets++; }
            else if (gsmExtension.indexOf(c) >= 0) { septets += 2; }
            else { return { characters: text.length, segments: text.length <= 70 ? 1 : Math.ceil(text.length / 67) }; }
        }
        return { characters: septets, segments: septets === 0 ? 0 : septets <= 160 ? 1 : Math.ceil(septets / 153) };
    }
    document.querySelectorAll("textarea[data-sms-counter]").forEach(function (area) {
        var output = document.getElementById(area.getAttribute("data-sms-counter"));
        if (!output) { return; }
        var template = output.getAttribute("data-template") || "{0} / {1}";
        var suffix = area.getAttribute("data-sms-suffix") || "";
        area.addEventListener("input", function () {
            var length = smsLength(area.value.replace(/\r\n/g, "\n").trim() + suffix);
            output.textContent = template.replace("{0}", length.characters).replace("{1}", length.segments);
        });
    });
})();

// Characters left in a textarea with data-counter (a survey's free text): the hint it names shows them as one types.
(function () {
    "use strict";
    document.querySelectorAll("textarea[data-counter]").forEach(function (area) {
        var output = document.getElementById(area.getAttribute("data-counter"));
        var max = parseInt(area.getAttribute("maxlength"), 10);
        if (!output || !max || !output.getAttribute("data-left")) { return; }
        var update = function () {
            output.textContent = output.getAttribute("data-left").replace("{0}", String(Math.max(0, max - area.value.length)));
        };
        area.addEventListener("input", update);
        if (area.value.length > 0) { update(); }
    });
})();

/// The console's style sheet and script, compiled into the binary: no build step, no CDN, nothing to fetch on a
/// machine that is offline. Served at `/-/console/assets/…` under the console's Content-Security-Policy, which
/// allows no other script or style.
enum ConsoleAssets {
    static let css = #"""
        :root { --ink: #1b1f24; --muted: #4a5563; --line: #d5dae1; --panel: #f5f7fa; --accent: #0b5cad; --ok: #1a7f37;
          --warn: #8a5a00; --bad: #b42318; --info: #0b5cad; --focus: #ffbf47; font-family: system-ui, -apple-system, "Segoe UI",
          Roboto, sans-serif; color: var(--ink); background: #fff; line-height: 1.45; }
        * { box-sizing: border-box; }
        body { margin: 0; }
        a { color: var(--accent); }
        a:focus, button:focus, input:focus, select:focus, textarea:focus, summary:focus { outline: 3px solid var(--focus); outline-offset: 1px; }
        .skip { position: absolute; left: -9999px; } .skip:focus { left: 8px; top: 8px; background: #fff; padding: 4px 8px; z-index: 9; }
        .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
        header.top { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; padding: 8px 16px; background: #102a43; color: #fff; }
        header.top a.brand { color: #fff; font-weight: 700; text-decoration: none; font-size: 1.1rem; }
        header.top .resource { background: #243b53; padding: 2px 8px; border-radius: 4px; }
        header.top form { display: flex; gap: 6px; align-items: center; margin: 0; }
        header.top .signout { margin-left: auto; } header.top .holder { color: #d9e2ec; }
        .frame { display: flex; flex-wrap: wrap; min-height: calc(100vh - 48px); }
        nav { flex: 0 0 200px; background: var(--panel); border-right: 1px solid var(--line); padding: 8px 12px; }
        nav h2 { font-size: .8rem; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); margin: 16px 0 4px; }
        nav ul { list-style: none; margin: 0; padding: 0; } nav li a { display: block; padding: 4px 6px; border-radius: 4px; text-decoration: none; }
        nav a[aria-current="page"] { background: var(--accent); color: #fff; }
        main { flex: 1 1 480px; padding: 16px 24px; min-width: 0; } main.bare { max-width: 720px; margin: 0 auto; }
        h1 { font-size: 1.5rem; margin: 4px 0 12px; } h2 { font-size: 1.15rem; margin: 20px 0 8px; } h3 { font-size: 1rem; }
        .notice { background: #e6f4ea; border: 1px solid #a6d8b4; padding: 8px 12px; border-radius: 4px; }
        .error-box { background: #fdecea; border: 1px solid #f1aeb5; padding: 8px 12px; border-radius: 4px; }
        .table-wrap { overflow-x: auto; } table { border-collapse: collapse; width: 100%; font-size: .92rem; }
        th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { background: var(--panel); } caption { text-align: left; font-weight: 600; padding: 4px 0; }
        .badge { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: .8rem; border: 1px solid; }
        .badge.ok { color: var(--ok); } .badge.warn { color: var(--warn); } .badge.bad { color: var(--bad); } .badge.info { color: var(--info); }
        dl.stats { display: flex; flex-wrap: wrap; gap: 12px; margin: 0; }
        .stat { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; min-width: 150px; }
        .stat dt { color: var(--muted); font-size: .85rem; } .stat dd { margin: 0; font-size: 1.4rem; font-weight: 600; }
        .stat small { display: block; font-size: .75rem; font-weight: 400; color: var(--muted); }
        .empty { border: 1px dashed var(--line); border-radius: 6px; padding: 12px 16px; background: #fbfcfd; }
        pre.code { background: #102a43; color: #f0f4f8; padding: 10px 12px; border-radius: 6px; overflow-x: auto; font-size: .85rem; }
        .columns { display: flex; flex-wrap: wrap; gap: 16px; } .columns > * { flex: 1 1 280px; min-width: 0; }
        .conversations { list-style: none; padding: 0; margin: 0; }
        .conversations a { display: block; padding: 6px 8px; border: 1px solid var(--line); border-radius: 4px; margin-bottom: 4px; text-decoration: none; }
        .conversations a[aria-current="true"] { border-color: var(--accent); background: #e8f1fb; }
        ol.thread { list-style: none; padding: 0; margin: 0 0 12px; display: flex; flex-direction: column; gap: 6px; }
        ol.thread li { max-width: 80%; padding: 6px 10px; border-radius: 10px; white-space: pre-wrap; word-break: break-word; }
        ol.thread li.outbound { align-self: flex-start; background: #eef2f6; }
        ol.thread li.inbound { align-self: flex-end; background: #0b5cad; color: #fff; } ol.thread li.inbound a { color: #fff; }
        ol.thread li .meta { display: block; font-size: .75rem; opacity: .85; white-space: normal; }
        form.reply { display: flex; flex-wrap: wrap; gap: 6px; align-items: flex-end; }
        form.reply label { display: flex; flex-direction: column; font-size: .85rem; }
        input, select, textarea, button { font: inherit; padding: 4px 8px; border: 1px solid #8a96a3; border-radius: 4px; }
        button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
        button.secondary { background: #fff; color: var(--accent); } button.danger { background: var(--bad); border-color: var(--bad); }
        .inline { display: inline; } .row { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; }
        iframe.email { width: 100%; min-height: 420px; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
        figure.chart { margin: 0 0 16px; } figure.chart svg { width: 100%; max-width: 720px; height: auto; }
        figure.chart rect.ok, .swatch.ok { fill: var(--ok); background: var(--ok); }
        figure.chart rect.bad, .swatch.bad { fill: var(--bad); background: var(--bad); }
        figure.chart rect.warn, .swatch.warn { fill: var(--warn); background: var(--warn); }
        figure.chart text { font-size: 11px; fill: var(--muted); } figure.chart .axis { stroke: var(--line); }
        ul.legend { list-style: none; display: flex; gap: 16px; padding: 0; } .swatch { display: inline-block; width: 12px; height: 12px; margin-right: 4px; }
        img.media { max-width: 240px; max-height: 240px; display: block; }
        @media (max-width: 720px) { nav { flex: 1 1 100%; border-right: 0; border-bottom: 1px solid var(--line); }
          nav ul { display: flex; flex-wrap: wrap; gap: 4px; } nav h2 { width: 100%; margin: 6px 0 2px; } main { padding: 12px; }
          table { min-width: 560px; } }
        """#

    static let javascript = #"""
        // Keeps the page current: the server says when the resource's data changed (Server-Sent Events), and the
        // page's main region is fetched again — unless someone is typing in a form, which a refresh would clear.
        (function () {
          "use strict";
          var main = document.getElementById("main");
          if (!main || !main.dataset.live || !window.EventSource) { return; }
          var pending = null;
          function typing() {
            var el = document.activeElement;
            return el && (el.tagName === "TEXTAREA" || (el.tagName === "INPUT" && el.type !== "hidden" && el.value !== ""));
          }
          function refresh() {
            pending = null;
            if (typing()) { pending = setTimeout(refresh, 1000); return; }
            fetch(window.location.href, { credentials: "same-origin", headers: { "X-Console-Refresh": "1" } })
              .then(function (response) { return response.ok ? response.text() : null; })
              .then(function (text) {
                if (!text) { return; }
                var doc = new DOMParser().parseFromString(text, "text/html");
                var fresh = doc.getElementById("main");
                if (!fresh) { return; }
                var focused = document.activeElement && document.activeElement.id;
                main.innerHTML = fresh.innerHTML;
                main.dataset.version = String((Number(main.dataset.version) || 0) + 1);
                if (focused && document.getElementById(focused)) { document.getElementById(focused).focus(); }
              })
              .catch(function () {});
          }
          var source = new EventSource(main.dataset.live);
          source.addEventListener("change", function () {
            if (pending === null) { pending = setTimeout(refresh, 150); }
          });
          document.documentElement.dataset.live = "connecting";
          source.addEventListener("open", function () { document.documentElement.dataset.live = "open"; });
        })();
        """#
}

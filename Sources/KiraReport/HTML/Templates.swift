/// The report templates (mustache). Kept in the binary rather than as resource files so that a
/// `kira` copied anywhere still writes reports. `{{x}}` is HTML-escaped; `{{{x}}}` is only ever
/// used for SVG and data: URIs the report itself made.
enum Templates {
    /// The Content-Security-Policy: nothing may be fetched, no script runs; only the inline
    /// style and data: images in the file itself are allowed.
    static let contentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; script-src 'none'; connect-src 'none'; form-action 'none'; base-uri 'none'"

    static let page = """
    <!DOCTYPE html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta http-equiv="Content-Security-Policy" content="{{csp}}">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="generator" content="Kira {{kiraVersion}}">
    <title>{{title}}</title>
    <style>{{{css}}}</style>
    </head>
    <body>
    <header>
    <h1>{{title}}</h1>
    <p class="subtitle">{{subtitle}}</p>
    <p class="notice" id="research-notice">Research use only, not for clinical decisions.</p>
    {{#hasProblems}}<div class="problems" id="problems"><h2>Problems</h2><ul>{{#problems}}<li>{{.}}</li>{{/problems}}</ul></div>{{/hasProblems}}
    </header>
    <nav><ol>{{#sections}}<li><a href="#{{id}}">{{heading}}</a></li>{{/sections}}</ol></nav>
    <main>
    {{#sections}}
    <section id="{{id}}">
    <h2>{{heading}}</h2>
    {{#intro}}<p class="intro">{{intro}}</p>{{/intro}}
    {{#hasFigures}}<div class="figures">{{#figures}}<figure id="{{id}}">{{{svg}}}{{#image}}<img src="{{{image}}}" alt="{{caption}}" width="{{width}}">{{/image}}<figcaption>{{caption}}</figcaption></figure>{{/figures}}</div>{{/hasFigures}}
    {{#tables}}
    <table id="{{id}}"><caption>{{caption}}</caption>
    <thead><tr>{{#header}}<th>{{.}}</th>{{/header}}</tr></thead>
    <tbody>{{#rows}}<tr{{#group}} class="group"{{/group}}>{{#cells}}<td{{#key}} data-key="{{key}}"{{/key}}{{#value}} data-value="{{value}}"{{/value}}>{{text}}</td>{{/cells}}</tr>{{/rows}}</tbody>
    </table>
    {{/tables}}
    {{#hasNotes}}<ul class="notes">{{#notes}}<li>{{.}}</li>{{/notes}}</ul>{{/hasNotes}}
    </section>
    {{/sections}}
    </main>
    <footer><p>Written by Kira {{kiraVersion}}{{#created}} on {{created}}{{/created}}. Research use only, not for clinical decisions.</p></footer>
    </body>
    </html>

    """

    static let css = """
    body{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;font-size:13px;color:#111;margin:24px auto;max-width:1100px;padding:0 16px;line-height:1.4}
    h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;border-bottom:1px solid #999;padding-bottom:2px;margin-top:28px}
    .subtitle{color:#444;margin:0 0 8px}.notice{font-weight:bold;border:2px solid #111;padding:4px 8px;display:inline-block}
    .problems{border:2px solid #b00;background:#fff3f3;padding:4px 12px;margin:8px 0}.problems h2{border:none;margin:4px 0;color:#b00}
    nav ol{columns:3;font-size:12px;padding-left:18px}
    .figures{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0;page-break-inside:avoid;break-inside:avoid}
    figcaption{font-size:11px;color:#333;max-width:440px}
    table{border-collapse:collapse;margin:10px 0 16px;font-size:12px;page-break-inside:auto}caption{text-align:left;font-weight:bold;padding:4px 0}
    th,td{border-bottom:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}th{border-bottom:2px solid #333;background:#f2f2f2}
    tr.group td{font-weight:bold;background:#fafafa}td[data-key]{font-variant-numeric:tabular-nums}
    .notes{font-size:12px;color:#333}
    svg.plot{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;font-size:11px;background:#fff}
    svg .plot-title{font-size:13px;font-weight:bold}svg .axis-label{font-size:12px}
    svg .grid line{stroke:#e3e3e3;stroke-width:1}svg .frame{fill:none;stroke:#333;stroke-width:1}
    svg .series{stroke-width:2}svg .reference{stroke:#777;stroke-width:1;stroke-dasharray:2 3;fill:none}
    svg .legend rect{fill:#fff;fill-opacity:.9;stroke:#999}svg .legend line{stroke-width:2}
    svg .zero{stroke:#333;stroke-width:1}svg .at-risk-title{font-weight:bold}
    @media print{body{margin:0;max-width:none}nav{display:none}h2{page-break-after:avoid}}

    """
}

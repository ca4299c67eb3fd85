//! A tiny self-contained HTML writer: sections, paragraphs, tables and embedded images.
//! No external assets, so `report.html` can be mailed or archived as one file.

use base64::Engine;

/// Escape text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// An HTML document being built.
#[derive(Debug, Default)]
pub struct Html {
    body: String,
    toc: Vec<(String, String)>,
    title: String,
}

impl Html {
    /// A new document with a title.
    pub fn new(title: &str) -> Html {
        Html {
            title: title.to_string(),
            ..Html::default()
        }
    }

    /// A numbered section heading, listed in the table of contents.
    pub fn section(&mut self, id: &str, heading: &str) -> &mut Self {
        self.toc.push((id.to_string(), heading.to_string()));
        self.body.push_str(&format!(
            "<h2 id=\"{}\">{}</h2>\n",
            escape(id),
            escape(heading)
        ));
        self
    }

    /// A sub-heading.
    pub fn subsection(&mut self, heading: &str) -> &mut Self {
        self.body
            .push_str(&format!("<h3>{}</h3>\n", escape(heading)));
        self
    }

    /// A paragraph of plain text (escaped).
    pub fn para(&mut self, text: &str) -> &mut Self {
        self.body.push_str(&format!("<p>{}</p>\n", escape(text)));
        self
    }

    /// A note in a highlighted box (escaped).
    pub fn note(&mut self, text: &str) -> &mut Self {
        self.body
            .push_str(&format!("<p class=\"note\">{}</p>\n", escape(text)));
        self
    }

    /// A bulleted list (escaped).
    pub fn list(&mut self, items: &[String]) -> &mut Self {
        self.body.push_str("<ul>\n");
        for i in items {
            self.body.push_str(&format!("<li>{}</li>\n", escape(i)));
        }
        self.body.push_str("</ul>\n");
        self
    }

    /// A table with a header row; numeric-looking cells are right-aligned.
    pub fn table(&mut self, caption: &str, header: &[&str], rows: &[Vec<String>]) -> &mut Self {
        self.body.push_str("<table>\n");
        if !caption.is_empty() {
            self.body
                .push_str(&format!("<caption>{}</caption>\n", escape(caption)));
        }
        self.body.push_str("<thead><tr>");
        for h in header {
            self.body.push_str(&format!("<th>{}</th>", escape(h)));
        }
        self.body.push_str("</tr></thead>\n<tbody>\n");
        for r in rows {
            self.body.push_str("<tr>");
            for c in r {
                let num = c
                    .trim_start_matches(['-', '+', '−'])
                    .chars()
                    .next()
                    .is_some_and(|ch| ch.is_ascii_digit());
                let class = if num { " class=\"num\"" } else { "" };
                self.body
                    .push_str(&format!("<td{class}>{}</td>", escape(c)));
            }
            self.body.push_str("</tr>\n");
        }
        self.body.push_str("</tbody></table>\n");
        self
    }

    /// A PNG figure embedded as a data URI, with alt text and a caption.
    pub fn png_figure(&mut self, png: &[u8], alt: &str, caption: &str) -> &mut Self {
        let b64 = base64::engine::general_purpose::STANDARD.encode(png);
        self.body.push_str(&format!(
            "<figure><img src=\"data:image/png;base64,{b64}\" alt=\"{}\"><figcaption>{}</figcaption></figure>\n",
            escape(alt),
            escape(caption)
        ));
        self
    }

    /// A preformatted block (escaped), for coefficient tables printed rms-style.
    pub fn pre(&mut self, text: &str) -> &mut Self {
        self.body
            .push_str(&format!("<pre>{}</pre>\n", escape(text)));
        self
    }

    /// The finished document.
    pub fn finish(&self) -> String {
        let mut toc = String::from("<nav><ol>\n");
        for (id, h) in &self.toc {
            toc.push_str(&format!(
                "<li><a href=\"#{}\">{}</a></li>\n",
                escape(id),
                escape(h)
            ));
        }
        toc.push_str("</ol></nav>\n");
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
             <h1>{title}</h1>\n{toc}{body}</main>\n</body>\n</html>\n",
            title = escape(&self.title),
            body = self.body
        )
    }
}

const STYLE: &str = "body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;\
color:#222;background:#fff;line-height:1.45}main{max-width:60rem;margin:2rem auto;padding:0 1rem}\
h1{font-size:1.7rem}h2{border-bottom:1px solid #ccc;padding-bottom:.2rem;margin-top:2.2rem}\
table{border-collapse:collapse;margin:1rem 0;font-size:.92rem}caption{text-align:left;\
font-weight:600;padding:.3rem 0}th,td{border-bottom:1px solid #ddd;padding:.25rem .6rem;\
text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}th{background:#f3f3f3}\
figure{margin:1.2rem 0}figure img{max-width:100%;height:auto;border:1px solid #eee}\
figcaption{font-size:.9rem;color:#444}pre{background:#f7f7f7;padding:.6rem;overflow-x:auto;\
font-size:.85rem}.note{background:#fff8e1;border-left:4px solid #f0b400;padding:.5rem .8rem}\
nav ol{columns:2;font-size:.95rem}";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_builds_a_document() {
        let mut h = Html::new("A <b> report");
        h.section("data", "Data").para("n < 5 & more").table(
            "t",
            &["a", "b"],
            &[vec!["x".into(), "1.5".into()]],
        );
        let s = h.finish();
        assert!(s.contains("<title>A &lt;b&gt; report</title>"));
        assert!(s.contains("n &lt; 5 &amp; more"));
        assert!(s.contains("<td class=\"num\">1.5</td>"));
        assert!(s.contains("<a href=\"#data\">Data</a>"));
    }
}

//! Generators of hostile inputs for the parsers: seeded, so a failing case can be replayed.
//!
//! Used by the property tests (`tests/fuzz.rs`, a few hundred cases in every test run) and by
//! the fuzz example (`cargo run --release -p rumbo-ingest --example fuzz`, a million inputs
//! per parser with the peak memory measured). Each generator mixes well-formed structure
//! with the shapes that broke readers before: XLSX workbooks whose declared dimension is the
//! whole sheet, shared-string tables that claim billions of entries, style indices past the
//! style table, cells at column XFD of row 1,048,576, truncated archives, deep nesting,
//! entity references, NUL bytes and enormous numbers.

use std::io::Write as _;

/// A small seeded generator (SplitMix64): no dependency, same sequence on every machine.
#[derive(Debug, Clone)]
pub struct Gen(u64);

impl Gen {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Gen {
        Gen(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// One of `items`.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Whether a one-in-`n` event happens.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "1767225600",
    "-86400",
    "99999999999",
    "1e308",
    "-1e308",
    "NaN",
    "inf",
    "1.5",
    "18446744073709551616",
    "00:03:00",
    "2026-01-01 09:00:00",
    "5138-01-01T00:00:00Z",
    "1969-12-31",
    "45000.5",
    "",
];

const WORDS: &[&str] = &[
    "ENTERQUEUE",
    "CONNECT",
    "COMPLETECALLER",
    "COMPLETEAGENT",
    "ABANDON",
    "EXITWITHTIMEOUT",
    "EXITWITHKEY",
    "EXITEMPTY",
    "RINGNOANSWER",
    "TRANSFER",
    "ATTENDEDTRANSFER",
    "BLINDTRANSFER",
    "AGENTLOGIN",
    "AGENTLOGOFF",
    "ADDMEMBER",
    "REMOVEMEMBER",
    "PAUSE",
    "UNPAUSE",
    "answered",
    "abandoned",
    "ANSWERED",
    "NO ANSWER",
    "ventas",
    "SIP/1001",
    "c1",
    "c2",
    "NONE",
    "\"quoted, field\"",
    "\"unterminated",
    "\u{0}\u{0}\u{0}",
    "ñandú",
    "\u{202e}",
];

/// One field: a number, a word, random printable text or raw bytes.
fn field(g: &mut Gen, out: &mut Vec<u8>) {
    match g.below(6) {
        0 | 1 => out.extend_from_slice(g.pick(NUMBERS).as_bytes()),
        2 | 3 => out.extend_from_slice(g.pick(WORDS).as_bytes()),
        4 => {
            for _ in 0..g.below(12) {
                out.push(b' ' + g.below(95) as u8);
            }
        }
        _ => {
            for _ in 0..g.below(8) {
                out.push(g.next_u64() as u8);
            }
        }
    }
}

/// Text lines of fields separated by `|` or `,` (queue_log, CDR and CSV shapes), sometimes
/// after a call CSV header, with CRLF endings, NUL runs and a long line now and then.
pub fn lines(g: &mut Gen) -> Vec<u8> {
    let mut out = Vec::new();
    if g.one_in(2) {
        out.extend_from_slice(b"call_id,queue,enter_ts,wait_s,talk_s,wrap_s,outcome\n");
    }
    let sep = if g.one_in(2) { b'|' } else { b',' };
    for _ in 0..g.below(40) {
        if g.one_in(20) {
            out.extend(std::iter::repeat_n(0u8, g.below(64) as usize));
        }
        for f in 0..g.below(12) {
            if f > 0 {
                out.push(sep);
            }
            field(g, &mut out);
        }
        if g.one_in(50) {
            out.extend(std::iter::repeat_n(b'x', 70_000));
        }
        out.extend_from_slice(if g.one_in(4) { b"\r\n" } else { b"\n" });
    }
    out
}

/// Random bytes, sometimes behind a ZIP or XLSX-like signature.
pub fn bytes(g: &mut Gen) -> Vec<u8> {
    let mut out = Vec::new();
    if g.one_in(3) {
        out.extend_from_slice(b"PK\x03\x04");
    }
    for _ in 0..g.below(600) {
        out.push(g.next_u64() as u8);
    }
    out
}

/// A cell reference: mostly small, sometimes at the far corner or malformed.
fn cell_ref(g: &mut Gen, row: u64) -> String {
    match g.below(8) {
        0 => format!("XFD{}", 1_048_576),
        1 => format!("ZZZZ{row}"),
        2 => String::new(),
        3 => format!("A{}", g.next_u64()),
        _ => {
            let col = (b'A' + g.below(8) as u8) as char;
            format!("{col}{row}")
        }
    }
}

/// XML text for a value: numbers, words, entities, NULs, sometimes long.
fn xml_value(g: &mut Gen) -> String {
    match g.below(7) {
        0 => "&amp;&lt;&#x41;&#0;&#xFFFFFFFF;&bogus;".into(),
        1 => "x".repeat(g.below(5_000) as usize),
        2 => "<![CDATA[ok]]>".into(),
        3 => g.below(1000).to_string(),
        _ => g.pick(NUMBERS).to_string(),
    }
}

/// A hostile worksheet XML.
fn sheet_xml(g: &mut Gen) -> String {
    let mut s = String::from("<worksheet>");
    if g.one_in(2) {
        let dimension: &&str = g.pick(&[
            "<dimension ref=\"A1:XFD1048576\"/>",
            "<dimension ref=\"A1:ZZZZZZ99999999999\"/>",
            "<dimension ref=\"\"/>",
        ]);
        s.push_str(dimension);
    }
    s.push_str("<sheetData>");
    s.push_str("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>start</t></is></c><c r=\"B1\" t=\"inlineStr\"><is><t>queue</t></is></c><c r=\"C1\" t=\"inlineStr\"><is><t>wait</t></is></c><c r=\"D1\" t=\"inlineStr\"><is><t>outcome</t></is></c></row>");
    for r in 2..2 + g.below(30) {
        let row_attr = match g.below(6) {
            0 => "r=\"1048576\"".to_string(),
            1 => "r=\"-5\"".to_string(),
            2 => String::new(),
            _ => format!("r=\"{r}\""),
        };
        s.push_str(&format!("<row {row_attr}>"));
        for _ in 0..g.below(8) {
            let t = *g.pick(&["", "s", "str", "inlineStr", "b", "e", "d", "n", "zz"]);
            let style = match g.below(4) {
                0 => "s=\"4294967295\"".to_string(),
                1 => String::new(),
                _ => format!("s=\"{}\"", g.below(4)),
            };
            let r_attr = cell_ref(g, r);
            match g.below(6) {
                0 => s.push_str(&format!("<c r=\"{r_attr}\" {style}/>")),
                1 => s.push_str(&format!(
                    "<c r=\"{r_attr}\" t=\"inlineStr\"><is><r><t>{}</t></r><rPh><t>x</t></rPh></is></c>",
                    xml_value(g)
                )),
                2 => s.push_str(&format!("<c r=\"{r_attr}\" t=\"{t}\" {style}><v>{}</v>", xml_value(g))),
                _ => s.push_str(&format!(
                    "<c r=\"{r_attr}\" t=\"{t}\" {style}><v>{}</v></c>",
                    xml_value(g)
                )),
            }
        }
        if !g.one_in(10) {
            s.push_str("</row>");
        }
    }
    if g.one_in(10) {
        s.push_str(&"<x>".repeat(g.below(2000) as usize));
    }
    if !g.one_in(10) {
        s.push_str("</sheetData></worksheet>");
    }
    s
}

/// A hostile shared-string table.
fn strings_xml(g: &mut Gen) -> String {
    let count = *g.pick(&["1", "999999999999", "18446744073709551615", "-1", "x"]);
    let mut s = format!("<sst count=\"{count}\" uniqueCount=\"{count}\">");
    for _ in 0..g.below(20) {
        match g.below(4) {
            0 => s.push_str("<si/>"),
            1 => s.push_str(&format!(
                "<si><r><t>{}</t></r><r><t xml:space=\"preserve\"> {}</t></r></si>",
                xml_value(g),
                xml_value(g)
            )),
            _ => s.push_str(&format!("<si><t>{}</t></si>", xml_value(g))),
        }
    }
    if !g.one_in(8) {
        s.push_str("</sst>");
    }
    s
}

/// A hostile style sheet.
fn styles_xml(g: &mut Gen) -> String {
    let mut s = String::from("<styleSheet><numFmts>");
    for _ in 0..g.below(6) {
        let id = *g.pick(&["164", "14", "99999999999", "-3", "x"]);
        let code = *g.pick(&[
            "yyyy-mm-dd hh:mm",
            "\"d\"0.00",
            "[h]:mm:ss",
            "[$-409]m/d/yy",
            "General",
            "",
        ]);
        s.push_str(&format!(
            "<numFmt numFmtId=\"{id}\" formatCode=\"{code}\"/>"
        ));
    }
    s.push_str("</numFmts><cellXfs count=\"4294967295\">");
    for _ in 0..g.below(6) {
        let id = *g.pick(&["0", "14", "164", "22", "4294967296", ""]);
        s.push_str(&format!("<xf numFmtId=\"{id}\"/>"));
    }
    s.push_str("</cellXfs></styleSheet>");
    s
}

/// A hostile XLSX workbook: valid ZIP structure around generated parts, sometimes truncated,
/// sometimes with a part missing or a relation pointing elsewhere.
pub fn xlsx(g: &mut Gen) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default();
        let mut parts: Vec<(&str, String)> = Vec::new();
        if !g.one_in(20) {
            parts.push(("xl/workbook.xml", "<workbook xmlns:r=\"r\"><sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>".into()));
        }
        let target = *g.pick(&[
            "worksheets/sheet1.xml",
            "/xl/worksheets/sheet1.xml",
            "../../etc/passwd",
            "worksheets/none.xml",
        ]);
        parts.push((
            "xl/_rels/workbook.xml.rels",
            format!(
                "<Relationships><Relationship Id=\"rId1\" Target=\"{target}\"/></Relationships>"
            ),
        ));
        parts.push(("xl/worksheets/sheet1.xml", sheet_xml(g)));
        if !g.one_in(4) {
            parts.push(("xl/sharedStrings.xml", strings_xml(g)));
        }
        if !g.one_in(4) {
            parts.push(("xl/styles.xml", styles_xml(g)));
        }
        for (name, body) in parts {
            if z.start_file(name, opts).is_err() || z.write_all(body.as_bytes()).is_err() {
                break;
            }
        }
        let _ = z.finish();
    }
    let mut bytes = out.into_inner();
    if g.one_in(8) {
        let keep = g.below(bytes.len() as u64 + 1) as usize;
        bytes.truncate(keep);
    }
    if g.one_in(16) && !bytes.is_empty() {
        let i = g.below(bytes.len() as u64) as usize;
        bytes[i] ^= 0xff;
    }
    bytes
}

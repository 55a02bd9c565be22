//! `queue_log` events exported from a database table, read into the same state machine as
//! the pipe file.
//!
//! Asterisk's realtime `queue_log` table has the columns `time, callid, queuename, agent,
//! event, data1…data5` (or one `data` column holding the parameters joined by `|`); PBXware
//! and other PBX front ends dump the same events with their own names and extra columns
//! (`uid, date_time, callid, queue_name, type, event, param1, param2, param3…`). Whatever
//! the names and the order, each row is the same event as a line of the pipe file, so the
//! columns are found by name ([`TableColumns::from_header`]) and each row is handed to the
//! `queue_log` parser already split, in the pipe file's order
//! ([`crate::queue_log::QueueLogParser::with_splitter`]). Figures from a table dump and
//! from the pipe file of the same calls are therefore the same.

use std::io::BufRead;

use crate::detect::{column, normalise_name, split_delimited};
use crate::queue_log::{QueueLogOptions, QueueLogParser, SplitLine};

/// Where the event fields are in a table dump's rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableColumns {
    delimiter: u8,
    time: usize,
    callid: usize,
    queue: usize,
    agent: Option<usize>,
    event: usize,
    data: DataColumns,
    flavour: Flavour,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum DataColumns {
    /// One column per parameter, in order.
    Numbered(Vec<usize>),
    /// One column with the parameters joined by `|`.
    Joined(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavour {
    Realtime,
    PbxWare,
    Other,
}

impl TableColumns {
    /// The columns of a header (names normalised by the detector), if it is a `queue_log`
    /// table: it needs a time, a call id, a queue and an event column; the agent column is
    /// optional (without it, calls have no agent and there are no agent sessions).
    pub(crate) fn from_header(header: &[String], delimiter: u8) -> Option<TableColumns> {
        let event = column(header, &["event", "event_name", "verb"])?;
        // `date_time` before `time`: PBXware dumps carry both, the epoch in `date_time`
        // and the same instant as local text in a trailing `time` column.
        let time = column(
            header,
            &[
                "date_time",
                "time",
                "datetime",
                "timestamp",
                "time_id",
                "date",
                "created",
            ],
        )?;
        let callid = column(header, &["callid", "call_id", "uniqueid", "unique_id"])?;
        let queue = column(header, &["queuename", "queue_name", "queue"])?;
        let mut agent = column(
            header,
            &[
                "agent",
                "agent_name",
                "member",
                "membername",
                "interface",
                "extension",
            ],
        );
        let numbered = |prefix: &str| -> Vec<usize> {
            (1..=10)
                .map_while(|i| column(header, &[&format!("{prefix}{i}")]))
                .collect()
        };
        let data = ["data", "param", "parm", "arg"]
            .iter()
            .map(|p| numbered(p))
            .find(|v| !v.is_empty())
            .map(DataColumns::Numbered)
            .or_else(|| column(header, &["data", "params", "parameters"]).map(DataColumns::Joined))
            .unwrap_or(DataColumns::Numbered(Vec::new()));
        let name = |i: usize| header[i].as_str();
        let flavour = if name(time) == "time"
            && name(queue) == "queuename"
            && name(callid) == "callid"
            && agent.map(name) == Some("agent")
        {
            Flavour::Realtime
        } else if name(time) == "date_time"
            && name(queue) == "queue_name"
            && matches!(&data, DataColumns::Numbered(v) if v.first().is_some_and(|&i| header[i] == "param1"))
        {
            // PBXware's export names the member column `type` (`Agent/1127`, `NONE`).
            agent = agent.or_else(|| column(header, &["type"]));
            Flavour::PbxWare
        } else {
            Flavour::Other
        };
        Some(TableColumns {
            delimiter,
            time,
            callid,
            queue,
            agent,
            event,
            data,
            flavour,
        })
    }

    /// The layout's stable name.
    pub fn name(&self) -> &'static str {
        match (self.flavour, &self.data) {
            (Flavour::Realtime, DataColumns::Joined(_)) => "queue-log-realtime-data",
            (Flavour::Realtime, _) => "queue-log-realtime",
            (Flavour::PbxWare, _) => "queue-log-pbxware",
            (Flavour::Other, _) => "queue-log-table",
        }
    }

    /// One row as event fields in the pipe file's order; a repeated header is skipped.
    fn split(&self, raw: &[u8]) -> SplitLine {
        let line = raw.strip_suffix(b"\n").unwrap_or(raw);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let cells = match split_delimited(line, self.delimiter) {
            Ok(c) => c,
            Err(e) => return SplitLine::Bad(format!("bad CSV: {e}")),
        };
        let cell = |i: usize| {
            cells
                .get(i)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .unwrap_or_default()
        };
        let needed = [self.time, self.callid, self.queue, self.event];
        let widest = needed.iter().copied().max().unwrap_or(0);
        if cells.len() <= widest {
            return SplitLine::Bad(format!(
                "expected at least {} columns, found {}",
                widest + 1,
                cells.len()
            ));
        }
        if normalise_name(&cell(self.event)) == "event" {
            return SplitLine::Skip;
        }
        let mut fields = vec![
            cell(self.time),
            cell(self.callid),
            cell(self.queue),
            self.agent.map(cell).unwrap_or_default(),
            cell(self.event),
        ];
        match &self.data {
            DataColumns::Numbered(cols) => fields.extend(cols.iter().map(|&i| cell(i))),
            DataColumns::Joined(i) => fields.extend(cell(*i).split('|').map(str::to_string)),
        }
        SplitLine::Fields(fields)
    }
}

/// A `queue_log` parser over a table dump with these columns.
pub fn parser<R: BufRead>(
    reader: R,
    opts: QueueLogOptions,
    columns: TableColumns,
) -> QueueLogParser<R> {
    QueueLogParser::with_splitter(reader, opts, Box::new(move |raw| columns.split(raw)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::{detect, Detection, Layout};
    use crate::queue_log::QueueLogItem;

    fn calls(text: &str) -> Vec<(String, String, f64, f64)> {
        let it: Box<dyn Iterator<Item = QueueLogItem>> = match detect(text.as_bytes()) {
            Detection::Known(Layout::QueueLogTable(t)) => {
                Box::new(parser(text.as_bytes(), QueueLogOptions::default(), t))
            }
            Detection::Known(Layout::QueueLogPipe) => Box::new(QueueLogParser::new(
                text.as_bytes(),
                QueueLogOptions::default(),
            )),
            other => panic!("{other:?}"),
        };
        it.filter_map(|i| match i {
            QueueLogItem::Call(c) => Some((
                c.record.call_id.clone(),
                c.record.queue.clone(),
                c.record.facts.wait_s,
                c.record.facts.talk_s,
            )),
            _ => None,
        })
        .collect()
    }

    #[test]
    fn a_table_dump_in_any_column_order_gives_the_calls_of_the_pipe_file() {
        let pipe = "1767261600|c1|ventas|NONE|ENTERQUEUE||5691|1\n\
                    1767261610|c1|ventas|SIP/1001|CONNECT|10|c1.2|3\n\
                    1767261700|c1|ventas|SIP/1001|COMPLETECALLER|10|90|1\n\
                    1767261620|c2|ventas|NONE|ENTERQUEUE||5692|1\n\
                    1767261650|c2|ventas|NONE|ABANDON|1|1|30\n";
        let realtime = "time,callid,queuename,agent,event,data1,data2,data3,data4,data5\n\
                        1767261600,c1,ventas,NONE,ENTERQUEUE,,5691,1,,\n\
                        1767261610,c1,ventas,SIP/1001,CONNECT,10,c1.2,3,,\n\
                        1767261700,c1,ventas,SIP/1001,COMPLETECALLER,10,90,1,,\n\
                        1767261620,c2,ventas,NONE,ENTERQUEUE,,5692,1,,\n\
                        1767261650,c2,ventas,NONE,ABANDON,1,1,30,,\n";
        let joined = "time;callid;queuename;agent;event;data\r\n\
                      1767261600;c1;ventas;NONE;ENTERQUEUE;|5691|1\r\n\
                      1767261610;c1;ventas;SIP/1001;CONNECT;10|c1.2|3\r\n\
                      1767261700;c1;ventas;SIP/1001;COMPLETECALLER;10|90|1\r\n\
                      1767261620;c2;ventas;NONE;ENTERQUEUE;|5692|1\r\n\
                      1767261650;c2;ventas;NONE;ABANDON;1|1|30\r\n";
        let pbxware = "uid,date_time,callid,queue_name,type,event,param1,param2,param3,agent\n\
                       7,2026-01-01 10:00:00,c1,ventas,q,ENTERQUEUE,,5691,1,NONE\n\
                       8,2026-01-01 10:00:10,c1,ventas,q,CONNECT,10,c1.2,3,SIP/1001\n\
                       9,2026-01-01 10:01:40,c1,ventas,q,COMPLETECALLER,10,90,1,SIP/1001\n\
                       10,2026-01-01 10:00:20,c2,ventas,q,ENTERQUEUE,,5692,1,NONE\n\
                       11,2026-01-01 10:00:50,c2,ventas,q,ABANDON,1,1,30,NONE\n";
        let expected = calls(pipe);
        assert_eq!(expected.len(), 2);
        assert_eq!(calls(realtime), expected);
        assert_eq!(calls(joined), expected);
        // Local date-times (UTC here) in a PBXware-style dump with extra columns.
        assert_eq!(calls(pbxware), expected);
    }

    #[test]
    fn a_pbxware_export_takes_the_epoch_of_date_time_and_the_member_of_type() {
        // The header of PBXware's own export: the member is in `type`, and `time` repeats
        // `date_time` as local text.
        let dump = "uid,date_time,callid,queue_name,type,event,param1,param2,param3,entpos,expos,htime,ttime,time\n\
                    1,1767261600,c1,ventas,NONE,ENTERQUEUE,5691,,,1,0,0,0,\"2026-01-01 07:00:00\"\n\
                    2,1767261610,c1,ventas,Agent/1001,CONNECT,,c1.2,3,0,0,10,0,\"2026-01-01 07:00:10\"\n\
                    3,1767261700,c1,ventas,Agent/1001,COMPLETECALLER,5691,,,1,0,10,90,\"2026-01-01 07:01:40\"\n";
        let Detection::Known(Layout::QueueLogTable(cols)) = detect(dump.as_bytes()) else {
            panic!("{:?}", detect(dump.as_bytes()))
        };
        assert_eq!(cols.name(), "queue-log-pbxware");
        let calls: Vec<_> = parser(dump.as_bytes(), QueueLogOptions::default(), cols)
            .filter_map(|i| match i {
                QueueLogItem::Call(c) => Some(c),
                _ => None,
            })
            .collect();
        assert_eq!(calls.len(), 1);
        let st = &calls[0].stints[0];
        assert_eq!(st.enter_ts, 1767261600);
        assert_eq!(st.agent.as_deref(), Some("Agent/1001"));
        assert_eq!(st.connect_ts, Some(1767261610));
    }
}

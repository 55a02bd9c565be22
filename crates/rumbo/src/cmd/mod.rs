//! One module per command family.
pub mod admin;
pub mod alarms;
pub mod bench_http;
pub mod dev;
pub mod import;
pub mod keys;
pub mod kpi;
pub mod lessons;
pub mod privacy;
pub mod report;
pub mod serve;
pub mod watch;
pub mod wfm;

/// A use-case error for the terminal: refusals in English from the catalogue (the same text
/// the web pages show), anything else with its cause chain.
pub fn app_error(e: rumbo_app::Error) -> anyhow::Error {
    use rumbo_server::view::i18n::Lang;
    match &e {
        rumbo_app::Error::Invalid(list) | rumbo_app::Error::Conflict(list) => {
            let text: Vec<String> = list
                .0
                .iter()
                .map(|i| format!("{}: {}", i.field, Lang::En.t(i.key)))
                .collect();
            anyhow::anyhow!("{}", text.join("\n"))
        }
        rumbo_app::Error::NotFound => anyhow::anyhow!("not found"),
        _ => anyhow::Error::new(e),
    }
}

/// The use cases' settings for a command that works with `data_dir`: caller-hashing keys from
/// `RUMBO_CALLER_KEYS` when set (several servers sharing one database), else the key file in
/// the data folder.
pub fn app_settings(data_dir: &std::path::Path) -> rumbo_app::Settings {
    rumbo_app::Settings {
        data_dir: data_dir.to_path_buf(),
        caller_keys: std::env::var("RUMBO_CALLER_KEYS")
            .ok()
            .filter(|k| !k.trim().is_empty()),
        report_words: rumbo_server::features::reports::report_words(),
        ..rumbo_app::Settings::default()
    }
}

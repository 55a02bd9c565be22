//! Use cases of the operator at the console (`rumbo import`, `rumbo import save-mapping`,
//! `rumbo dev bench-import`): they act as the system, with the database's owner's authority,
//! and are recorded in the audit log as `cli`.

use std::path::Path;

use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
use rumbo_domain::rut::Rut;
use rumbo_store::imports::SavedMapping;
use rumbo_store::{Actor, StoreError};

use crate::imports::{ImportReport, ImportRequest, Source};
use crate::mappings::{kind_name, Mapping};
use crate::model::{IssueRow, Programme};
use crate::{App, Error, Result};

/// Where the operator's mapping comes from.
#[derive(Debug, Clone)]
pub enum MappingChoice {
    /// No mapping (the standard layouts).
    None,
    /// A mapping read from a file by the caller; `name` is recorded with the batch.
    Given { name: String, mapping: Mapping },
    /// A mapping saved for the programme (or installation-wide) under this name.
    Saved(String),
}

/// An import made at the console: its report and the first lines of its data-quality report.
#[derive(Debug, Clone)]
pub struct ConsoleImport {
    pub report: ImportReport,
    pub first_issues: Vec<IssueRow>,
}

impl App {
    /// The programme `code`, for the operator.
    pub async fn programme_for_operator(&self, code: &str) -> Result<Programme> {
        Ok(self.store.programme_for(code, None).await?.programme)
    }

    /// Imports `path` into programme `code` as the operator; `progress` gets bytes read.
    pub async fn import_as_operator(
        &self,
        code: &str,
        path: &Path,
        source: Source,
        mapping: MappingChoice,
        progress: impl FnMut(u64),
    ) -> Result<ConsoleImport> {
        let prog = self.programme_for_operator(code).await?;
        crate::closeout::ensure_open(&prog)?;
        let (mapping_name, mapping) = match mapping {
            MappingChoice::None => (None, None),
            MappingChoice::Given { name, mapping } => (Some(name), Some(mapping)),
            MappingChoice::Saved(name) => {
                let saved = match self.store.mapping(prog.id, &name).await {
                    Ok(s) => s,
                    Err(StoreError::NotFound) => {
                        return Err(Error::invalid("mapping", "error.import.mapping"))
                    }
                    Err(e) => return Err(e.into()),
                };
                let m: Mapping =
                    serde_json::from_str(&saved.mapping_json).map_err(Error::internal)?;
                (Some(name), Some(m))
            }
        };
        let report = self
            .import_file(
                ImportRequest {
                    programme_code: &prog.code,
                    path,
                    source,
                    mapping,
                    mapping_name,
                    actor: Actor::system("cli"),
                    job: None,
                },
                progress,
            )
            .await?;
        let first_issues = self.store.import_issues(report.batch_id, 0, 20).await?;
        Ok(ConsoleImport {
            report,
            first_issues,
        })
    }

    /// Saves a mapping under `name` for programme `code`, or for the whole installation.
    pub async fn save_mapping_as_operator(
        &self,
        code: Option<&str>,
        name: &str,
        mapping: &Mapping,
    ) -> Result<()> {
        let name = crate::mappings::check_name(name)?;
        let pid = match code {
            Some(c) => Some(self.programme_for_operator(c).await?.id),
            None => None,
        };
        let saved = SavedMapping {
            name: name.to_string(),
            kind: kind_name(mapping.kind).to_string(),
            mapping_json: serde_json::to_string(mapping).map_err(Error::internal)?,
        };
        Ok(self
            .store
            .save_mapping(&Actor::system("cli"), pid, &saved)
            .await?)
    }

    /// Creates a client and a programme for it as the operator (benchmarks and scripts).
    pub async fn create_programme_as_operator(
        &self,
        client_name: &str,
        client_rut: &str,
        input: ProgrammeInput,
    ) -> Result<Programme> {
        let sys = Actor::system("cli");
        let rut = Rut::parse(client_rut)?;
        let client = self.store.create_client(&sys, client_name, rut).await?;
        let p = NewProgramme::try_from(ProgrammeInput {
            client_id: Some(client.id),
            ..input
        })?;
        Ok(self.store.create_programme(&sys, &p).await?)
    }
}

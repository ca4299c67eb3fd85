//! Scoring a table in memory into `scores.csv`, with the columns and number format of the
//! CSV stream ([`super::stream`]): the whole file for a model whose terms read two cells
//! (interactions) or that has strata, and a Parquet file one row group at a time.

use std::io::Write;
use std::path::Path;

use super::stream::{write_atomic_csv, CsvScoreOptions, ScoreSummary};
use super::{Scorer, Scores};
use crate::error::{Error, Result};
use crate::table::parquet::RowGroups;
use crate::table::{Column, Table};

impl Scorer {
    /// Read `input` whole, score it in memory, write the same columns as the CSV path.
    pub(super) fn score_whole(
        &self,
        input: &Path,
        output: &Path,
        opts: &CsvScoreOptions,
    ) -> Result<ScoreSummary> {
        let keep: Vec<&str> = opts.id_column.as_deref().into_iter().collect();
        let table = Table::read_keeping_text(input, &keep)?;
        let id = match &opts.id_column {
            Some(c) => Some(table.column(c)?),
            None => None,
        };
        let scores = self.score_table(&table)?;
        let mut summary = ScoreSummary::default();
        write_atomic_csv(output, |w| {
            let mut text = self.header(opts);
            self.write_scores(&table, &scores, id, 1, &mut text, w, output)?;
            summary.add(&table, &scores);
            w.write_all(&text).map_err(|e| Error::io(output, e))
        })?;
        Ok(summary)
    }

    /// Score a Parquet file one row group at a time (memory holds one row group): only the
    /// columns the model and `--id` read are decoded, and nothing is left at `output` when a
    /// row group fails.
    pub(super) fn score_parquet(
        &self,
        input: &Path,
        output: &Path,
        opts: &CsvScoreOptions,
    ) -> Result<ScoreSummary> {
        let mut columns: Vec<&str> = Vec::new();
        let compiled = self.compiled();
        let by = (0..compiled.variables().len()).filter_map(|t| compiled.by_variable(t));
        let strata = self.strata().map(|s| s.variable.as_str());
        let id = opts.id_column.as_deref();
        for c in compiled
            .variables()
            .iter()
            .map(String::as_str)
            .chain(by)
            .chain(strata)
            .chain(id)
        {
            if !columns.contains(&c) {
                columns.push(c);
            }
        }
        // each row group is typed on its own: the id, text categories and a text stratum stay
        // text in all of them, whatever their labels look like
        let mut keep: Vec<&str> = id.into_iter().collect();
        keep.extend(compiled.text_columns());
        keep.extend(
            self.strata()
                .filter(|s| s.is_text())
                .map(|s| s.variable.as_str()),
        );
        let groups = RowGroups::open(input, &columns, &keep)?;
        let mut summary = ScoreSummary::default();
        // a reader thread decodes the next row group while this one is scored (a rendezvous
        // channel: at most one decoded row group waits)
        std::thread::scope(|scope| {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Result<Table>>(0);
            scope.spawn(move || {
                for batch in groups {
                    if tx.send(batch).is_err() {
                        return; // the scorer stopped
                    }
                }
            });
            self.write_batches(rx, output, opts, &mut summary)
        })?;
        Ok(summary)
    }

    /// Score each table received and write its rows, after the header.
    fn write_batches(
        &self,
        batches: std::sync::mpsc::Receiver<Result<Table>>,
        output: &Path,
        opts: &CsvScoreOptions,
        summary: &mut ScoreSummary,
    ) -> Result<()> {
        let id = opts.id_column.as_deref();
        write_atomic_csv(output, |w| {
            let mut text = self.header(opts);
            for batch in batches {
                let table = batch?;
                let scores = self.score_table(&table)?;
                let id = match id {
                    Some(c) => Some(table.column(c)?),
                    None => None,
                };
                self.write_scores(
                    &table,
                    &scores,
                    id,
                    summary.n_rows + 1,
                    &mut text,
                    w,
                    output,
                )?;
                summary.add(&table, &scores);
            }
            w.write_all(&text).map_err(|e| Error::io(output, e))
        })
    }

    /// Append the output line of each row of `table` (its first row is data row `first_row`,
    /// 1-based) to `text`, handing `text` to `w` whenever it passes 1 MiB.
    #[allow(clippy::too_many_arguments)]
    fn write_scores(
        &self,
        table: &Table,
        scores: &Scores,
        id: Option<&Column>,
        first_row: usize,
        text: &mut Vec<u8>,
        w: &mut dyn Write,
        output: &Path,
    ) -> Result<()> {
        use rayon::prelude::*;
        // lines formatted in parallel over fixed blocks of rows, written in order
        let line = |i: usize, text: &mut Vec<u8>| {
            text.extend_from_slice(itoa::Buffer::new().format(first_row + i).as_bytes());
            text.push(b',');
            if let Some(col) = id {
                crate::table::write::push_field_bytes(
                    text,
                    crate::design::table_cell(col, i).display().as_bytes(),
                );
                text.push(b',');
            }
            let lp = scores.get(i).map(|s| s.linear_predictor);
            self.push_scores(text, lp, scores.stratum[i] as usize);
        };
        const LINES: usize = 8192;
        let n = table.nrows();
        for rows in (0..n)
            .step_by(LINES * 64)
            .map(|a| a..(a + LINES * 64).min(n))
        {
            let blocks: Vec<Vec<u8>> = rows
                .step_by(LINES)
                .collect::<Vec<usize>>()
                .into_par_iter()
                .map(|a| {
                    let mut block = Vec::with_capacity(LINES * 48);
                    (a..(a + LINES).min(n)).for_each(|i| line(i, &mut block));
                    block
                })
                .collect();
            for block in blocks {
                text.extend_from_slice(&block);
                if text.len() > 1 << 20 {
                    w.write_all(text).map_err(|e| Error::io(output, e))?;
                    text.clear();
                }
            }
        }
        Ok(())
    }
}

impl ScoreSummary {
    /// Count a scored table into the run's summary.
    fn add(&mut self, table: &Table, scores: &Scores) {
        self.n_rows += table.nrows();
        self.n_scored += table.nrows() - scores.n_missing;
        self.n_missing += scores.n_missing;
        self.n_far_outside += scores.n_far_outside;
    }
}

//! `mbdrisk export`: a model as one SQL query for a warehouse.

use std::path::PathBuf;

use clap::Args as ClapArgs;
use mbdrisk::export::{to_sql, Dialect, SqlOptions};

/// Write a logistic or Cox model as one SQL SELECT that scores a table where it lives.
#[derive(Debug, ClapArgs)]
#[command(after_help = "Example:\n  \
    mbdrisk export --model model.json --dialect duckdb --table cohort --id patient_id --horizon 24 --out model.sql")]
pub struct Args {
    /// Model file (`fit` output), logistic or Cox.
    #[arg(long)]
    model: PathBuf,
    /// SQL dialect: duckdb, sqlite, postgres or spark.
    #[arg(long)]
    dialect: String,
    /// Table (or view) with the predictors; `schema.table` allowed.
    #[arg(long)]
    table: String,
    /// Identifier column copied into the result.
    #[arg(long)]
    id: Option<String>,
    /// Horizon of a Cox model's risk (within its stored baseline).
    #[arg(long)]
    horizon: Option<f64>,
    /// Output file (`-` for standard output).
    #[arg(long)]
    out: PathBuf,
}

/// Run `export`.
pub fn run(args: Args) -> mbdrisk::Result<()> {
    let dialect: Dialect = args.dialect.parse()?;
    let model = mbdrisk::model::persist::load(&args.model)?;
    let sql = to_sql(
        &model,
        &SqlOptions {
            dialect,
            table: args.table,
            id: args.id,
            horizon: args.horizon,
        },
    )?;
    if args.out.as_os_str() == "-" {
        print!("{sql}");
        return Ok(());
    }
    mbdrisk::io::write_atomic(&args.out, |w| {
        w.write_all(sql.as_bytes())
            .map_err(|source| mbdrisk::Error::Io {
                path: args.out.display().to_string(),
                source,
            })
    })?;
    eprintln!("wrote {}", args.out.display());
    Ok(())
}

//! The `cairn` binary: serve the app and APIs, migrate, manage users and keys, log the demo.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use leptos::prelude::get_configuration;
use sea_orm::DatabaseConnection;

use server::blobs::BlobStore;
use server::bootstrap::{self, AdminSecrets};
use server::db;
use server::ingest::routes::ApiState;

#[derive(Parser, Debug)]
#[command(
    name = "cairn",
    version,
    about = "Cairn: a self-hosted experiment tracker"
)]
struct Cli {
    /// Where the SQLite database and the file store live.
    #[arg(long, env = "CAIRN_DATA_DIR", default_value = "data", global = true)]
    data_dir: PathBuf,
    /// Database URL; `postgres://…` for PostgreSQL. Default: SQLite in the data dir.
    #[arg(long, env = "DATABASE_URL", global = true)]
    database_url: Option<String>,
    #[command(flatten)]
    serve: ServeArgs,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the web app and the APIs (the default).
    Serve,
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API keys.
    Apikey {
        #[command(subcommand)]
        command: ApikeyCommand,
    },
    /// Log the demo project (again) as the given user.
    Demo {
        #[arg(long, default_value = bootstrap::ADMIN_USERNAME)]
        user: String,
    },
    /// Benchmark the metrics engine over HTTP on a fresh SQLite data dir, and on a
    /// fresh PostgreSQL database too when --database-url names a PostgreSQL server.
    Bench {
        /// A tenth of the sizes, to check the bench itself quickly.
        #[arg(long)]
        quick: bool,
        /// Skip SQLite (benchmark only PostgreSQL).
        #[arg(long)]
        no_sqlite: bool,
        /// Run the wandb workload instead (W5: 20 runs streaming through file_stream
        /// every 100 ms; p50/p99 per post).
        #[arg(long)]
        wandb: bool,
        /// Run the Runs-table workload instead: 10,000 runs × 200 columns, filter +
        /// sort + first page, timed in process.
        #[arg(long)]
        runs_table: bool,
        /// Seed the Workspace benchmark instead: 500 runs × 50 metrics × 10,000
        /// steps into --keep-dir, for `end2end/bench/workspace-first-chart.mjs`.
        #[arg(long)]
        workspace: bool,
        /// With --runs-table: keep the seeded SQLite database in this directory (for
        /// `cairn serve --data-dir DIR` and the browser benchmark); with --workspace:
        /// where to seed.
        #[arg(long)]
        keep_dir: Option<std::path::PathBuf>,
    },
}

#[derive(clap::Args, Debug, Default)]
struct ServeArgs {
    /// Address to listen on (default: the site address Cairn was built with, 127.0.0.1:3000).
    #[arg(long, env = "CAIRN_ADDR", global = true)]
    addr: Option<SocketAddr>,
    /// Do not log the demo project on a first start (CAIRN_NO_DEMO=1 works too).
    #[arg(long, env = "CAIRN_NO_DEMO", global = true, value_parser = clap::builder::FalseyValueParser::new())]
    no_demo: bool,
}

#[derive(Subcommand, Debug)]
enum UserCommand {
    /// Create a user; prints a generated password unless one is given.
    Create {
        username: String,
        #[arg(long, env = "CAIRN_NEW_USER_PASSWORD")]
        password: Option<String>,
        /// Make the user a site admin.
        #[arg(long)]
        admin: bool,
    },
    /// Set a user's password (a forgotten one); prints a generated password unless one
    /// is given. The user's sessions end; their API keys stay.
    Password {
        username: String,
        #[arg(long, env = "CAIRN_NEW_USER_PASSWORD")]
        password: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum ApikeyCommand {
    /// Create an API key for a user and print it (it is shown only this once).
    Create {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

type Fallible<T> = Result<T, Box<dyn std::error::Error>>;

fn database_url(cli: &Cli) -> Fallible<String> {
    if let Some(url) = &cli.database_url {
        return Ok(url.clone());
    }
    std::fs::create_dir_all(&cli.data_dir)?;
    let path = cli.data_dir.join("cairn.db");
    Ok(format!("sqlite://{}?mode=rwc", path.display()))
}

async fn open(cli: &Cli) -> Fallible<DatabaseConnection> {
    let db = db::connect(&database_url(cli)?).await?;
    db::migrate(&db).await?;
    Ok(db)
}

async fn find_user(
    db: &DatabaseConnection,
    name: &str,
) -> Fallible<server::db::entities::user::Model> {
    Ok(server::db::repo::users::find_by_username(db, name)
        .await?
        .ok_or_else(|| format!("no user named {name:?}"))?)
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    if let Err(e) = run(cli).await {
        eprintln!("cairn: {e}");
        std::process::exit(1);
    }
}

async fn run(cli: Cli) -> Fallible<()> {
    match &cli.command {
        None | Some(Command::Serve) => serve(&cli, &cli.serve).await,
        Some(Command::Migrate) => {
            open(&cli).await?;
            println!("database is up to date");
            Ok(())
        }
        Some(Command::User {
            command:
                UserCommand::Create {
                    username,
                    password,
                    admin,
                },
        }) => {
            let db = open(&cli).await?;
            let generated = password.is_none();
            let password = password
                .clone()
                .unwrap_or_else(server::auth::credentials::new_password);
            bootstrap::create_user(&db, username, &password, *admin).await?;
            println!("created user {username}");
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        Some(Command::User {
            command: UserCommand::Password { username, password },
        }) => {
            let db = open(&cli).await?;
            let user = find_user(&db, username).await?;
            let generated = password.is_none();
            let password = password
                .clone()
                .unwrap_or_else(server::auth::credentials::new_password);
            server::service::accounts::check_password(&password)?;
            let hash = server::service::accounts::hash_blocking(&password).await?;
            server::db::repo::users::set_password(&db, user.id, &hash, None).await?;
            println!("set the password of {username}; their sessions ended");
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        Some(Command::Apikey {
            command: ApikeyCommand::Create { user, name },
        }) => {
            let db = open(&cli).await?;
            let user = find_user(&db, user).await?;
            let key = bootstrap::create_api_key(&db, &user, name, None).await?;
            println!("{key}");
            Ok(())
        }
        Some(Command::Bench {
            quick,
            workspace: true,
            keep_dir,
            ..
        }) => bench_workspace(*quick, keep_dir.clone()).await,
        Some(Command::Bench {
            quick,
            no_sqlite,
            wandb: _,
            runs_table: true,
            keep_dir,
            ..
        }) => bench_runs_table(&cli, *quick, *no_sqlite, keep_dir.clone()).await,
        Some(Command::Bench {
            quick,
            no_sqlite,
            wandb,
            ..
        }) => bench(&cli, *quick, *no_sqlite, *wandb).await,
        Some(Command::Demo { user }) => {
            let db = open(&cli).await?;
            let user = find_user(&db, user).await?;
            let summary = server::demo::log_demo(&db, &user).await?;
            println!(
                "logged {} runs ({} points) to {}/{}",
                summary.runs, summary.points, summary.project.entity, summary.project.project
            );
            Ok(())
        }
    }
}

async fn bench_workspace(quick: bool, keep_dir: Option<std::path::PathBuf>) -> Fallible<()> {
    use server::bench_workspace::{self, WorkspaceSizes, WORKSPACE_PROJECT};
    let sizes = if quick {
        WorkspaceSizes::quick()
    } else {
        WorkspaceSizes::full()
    };
    let dir = keep_dir.ok_or("--workspace needs --keep-dir DIR (where to seed)")?;
    println!(
        "cairn bench --workspace: seeding {} runs × {} metrics × {} steps into {}",
        sizes.runs,
        sizes.metrics,
        sizes.steps,
        dir.display()
    );
    let points = bench_workspace::seed(dir.clone(), &sizes)
        .await
        .map_err(|e| e.to_string())?;
    println!(
        "\n{points} points seeded. Serve them with `cairn serve --data-dir {}` and run \
         `node end2end/bench/workspace-first-chart.mjs` (it opens /bench/{WORKSPACE_PROJECT}/workspace as \
         user bench, password bench-password).",
        dir.display()
    );
    Ok(())
}

async fn bench_runs_table(
    cli: &Cli,
    quick: bool,
    no_sqlite: bool,
    keep_dir: Option<std::path::PathBuf>,
) -> Fallible<()> {
    use server::bench_runs::{self, RunsTableSizes};
    let sizes = if quick {
        RunsTableSizes::quick()
    } else {
        RunsTableSizes::full()
    };
    println!(
        "cairn bench --runs-table ({} runs × {} columns; {} cores)",
        sizes.runs,
        sizes.config_keys + sizes.summary_keys,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    if !no_sqlite {
        let (dir, kept) = bench_runs::sqlite_dir(keep_dir).map_err(|e| e.to_string())?;
        let url = format!("sqlite://{}?mode=rwc", dir.join("cairn.db").display());
        let rows = bench_runs::run(&url, &sizes)
            .await
            .map_err(|e| e.to_string())?;
        server::bench::print_table("SQLite", &rows);
        if kept {
            println!(
                "\nThe database is in {}: serve it with `cairn serve --data-dir {}` and open /bench/{}/runs (user bench, password bench-password).",
                dir.display(),
                dir.display(),
                bench_runs::BENCH_PROJECT
            );
        } else {
            std::fs::remove_dir_all(&dir).ok();
        }
    }
    if let Some(url) = cli
        .database_url
        .as_deref()
        .filter(|u| u.starts_with("postgres"))
    {
        let base = match url.find("://").map(|i| i + 3) {
            Some(start) => match url[start..].find('/') {
                Some(slash) => url[..start + slash].to_owned(),
                None => url.to_owned(),
            },
            None => url.to_owned(),
        };
        let name = format!("cairn_runs_bench_{}", std::process::id());
        let admin = server::db::connect(&format!("{base}/postgres")).await?;
        use sea_orm::ConnectionTrait;
        admin
            .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
            .await?;
        let result = bench_runs::run(&format!("{base}/{name}"), &sizes).await;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
            .await?;
        server::bench::print_table("PostgreSQL", &result.map_err(|e| e.to_string())?);
    }
    Ok(())
}

async fn bench(cli: &Cli, quick: bool, no_sqlite: bool, wandb: bool) -> Fallible<()> {
    use server::bench::{self, BenchSizes, Store, WandbSizes};
    // The server under test does not need the web bundle, but it needs a site root.
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    let site_root = std::path::Path::new(&site_root);
    println!(
        "cairn bench ({}{}; {} cores)",
        if wandb { "wandb workload, " } else { "" },
        if quick { "quick sizes" } else { "full sizes" },
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    // The metrics-engine workloads (W1–W4), or with --wandb the file_stream one (W5).
    let one = |store: Store| async move {
        let rows = if wandb {
            let sizes = if quick {
                WandbSizes::quick()
            } else {
                WandbSizes::full()
            };
            bench::run_wandb(store, &sizes, site_root).await
        } else {
            let sizes = if quick {
                BenchSizes::quick()
            } else {
                BenchSizes::full()
            };
            bench::run(store, &sizes, site_root).await
        };
        rows.map_err(|e| e.to_string())
    };
    if !no_sqlite {
        bench::print_table("SQLite", &one(Store::Sqlite).await?);
    }
    match cli.database_url.as_deref() {
        Some(url) if url.starts_with("postgres") => {
            // Keep scheme, credentials and host; the bench makes its own database.
            let base = match url.find("://").map(|i| i + 3) {
                Some(start) => match url[start..].find('/') {
                    Some(slash) => &url[..start + slash],
                    None => url,
                },
                None => url,
            };
            bench::print_table("PostgreSQL", &one(Store::Postgres(base.to_owned())).await?);
        }
        Some(other) if !other.starts_with("sqlite") => {
            return Err(format!("--database-url must be a postgres:// URL, not {other:?}").into());
        }
        _ => {}
    }
    Ok(())
}

async fn serve(cli: &Cli, args: &ServeArgs) -> Fallible<()> {
    let db = open(cli).await?;
    let secrets = AdminSecrets {
        password: std::env::var("CAIRN_ADMIN_PASSWORD")
            .ok()
            .filter(|s| !s.is_empty()),
        api_key: std::env::var("CAIRN_ADMIN_API_KEY")
            .ok()
            .filter(|s| !s.is_empty()),
    };
    if let Some(first) = bootstrap::first_start(&db, secrets).await? {
        println!(
            "First start: created the admin user {:?}.",
            first.admin.username
        );
        if first.generated_password {
            println!(
                "  admin password: {}   (shown once; change it after signing in)",
                first.password
            );
        }
        if first.generated_key {
            println!("  admin API key:  {}   (shown once)", first.api_key);
        }
        if !args.no_demo {
            let t = std::time::Instant::now();
            let demo = server::demo::log_demo(&db, &first.admin).await?;
            println!(
                "  logged the demo project {}/{} ({} runs, {} points) in {:.1}s",
                demo.project.entity,
                demo.project.project,
                demo.runs,
                demo.points,
                t.elapsed().as_secs_f64()
            );
        }
    }
    let blobs = BlobStore::open(cli.data_dir.join("files"))?;
    let conf = get_configuration(None)?;
    let mut leptos_options = conf.leptos_options;
    // cargo-leptos gives the bundle's files content-hashed names and writes the hashes
    // next to the binary (`hash.txt`); the pages then name those files, which browsers
    // may cache for a year. A binary built without it serves the plain names.
    leptos_options.hash_files = std::env::current_exe()
        .ok()
        .and_then(|exe| {
            exe.parent()
                .map(|d| d.join(leptos_options.hash_file.as_ref()))
        })
        .is_some_and(|p| p.exists());
    if let Some(addr) = args.addr {
        leptos_options.site_addr = addr;
    }
    let addr = leptos_options.site_addr;
    server::wandb::spawn_crash_watch(db.clone());
    server::service::accounts::spawn_purge(db.clone(), blobs.clone());
    let state = server::wandb::WandbState::new(ApiState::new(db, blobs)).await?;
    let app = server::web::router(state, leptos_options);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("Cairn is listening on http://{addr}");
    axum::serve(listener, app.into_make_service())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serve_options_work_with_and_without_the_subcommand() {
        let cli = Cli::try_parse_from(["cairn", "--no-demo", "--addr", "127.0.0.1:4000"]).unwrap();
        assert!(cli.command.is_none() && cli.serve.no_demo);
        let cli = Cli::try_parse_from(["cairn", "serve", "--no-demo"]).unwrap();
        assert!(matches!(cli.command, Some(Command::Serve)) && cli.serve.no_demo);
        let cli = Cli::try_parse_from(["cairn", "serve"]).unwrap();
        assert!(!cli.serve.no_demo);
        // The only test in this binary that touches the environment.
        std::env::set_var("CAIRN_NO_DEMO", "1");
        let from_env = Cli::try_parse_from(["cairn"]).map(|c| c.serve.no_demo);
        std::env::set_var("CAIRN_NO_DEMO", "0");
        let off = Cli::try_parse_from(["cairn"]).map(|c| c.serve.no_demo);
        std::env::remove_var("CAIRN_NO_DEMO");
        assert!(from_env.unwrap());
        assert!(!off.unwrap());
    }
}

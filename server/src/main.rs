//! The `cairn` binary: serve the app and APIs, migrate, manage users and keys, log the demo.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use leptos::prelude::get_configuration;
use sea_orm::DatabaseConnection;

use server::blobs::BlobStore;
use server::bootstrap;
use server::config::Config;
use server::db;
use server::jobs::Jobs;
use server::state::AppState;

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
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,
    /// Where files live: unset for the data dir's `files/`, `s3://bucket/prefix` for
    /// S3-compatible object storage (credentials, region and endpoint from the usual
    /// `AWS_*` variables: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
    /// AWS_ENDPOINT, AWS_ALLOW_HTTP).
    #[arg(long, env = "CAIRN_BLOB_URL", global = true, hide_env_values = true)]
    blob_url: Option<String>,
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
    /// The file store: copy it elsewhere (to object storage).
    Blobs {
        #[command(subcommand)]
        command: BlobsCommand,
    },
    /// The database: copy it into another (to PostgreSQL).
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Site settings, as a site admin sets them under Settings.
    Site {
        #[command(subcommand)]
        command: SiteCommand,
    },
    /// Log the demo project (again) as the given user.
    Demo {
        #[arg(long, default_value = bootstrap::ADMIN_USERNAME)]
        user: String,
    },
    /// Benchmarks (in a build with `--features bench`): `cairn bench metrics | wandb |
    /// runs-table | workspace`; see the README.
    #[cfg(feature = "bench")]
    Bench {
        #[command(subcommand)]
        what: server::bench::BenchCommand,
    },
    /// Benchmarks: not in this build (it was made without `--features bench`).
    #[cfg(not(feature = "bench"))]
    #[command(hide = true)]
    Bench {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
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
    /// With object storage: send the wandb client's downloads (run files, artifact
    /// files, manifests) to the store as presigned URLs, valid 15 minutes, instead of
    /// through Cairn. Clients must reach the store's endpoint. CAIRN_BLOB_PRESIGN=1 too.
    #[arg(long, env = "CAIRN_BLOB_PRESIGN", global = true, value_parser = clap::builder::FalseyValueParser::new())]
    blob_presign: bool,
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
enum BlobsCommand {
    /// Copy every file of this install's store (the data dir's, or `--blob-url`'s) into
    /// another: `s3://bucket/prefix` to move to object storage. Each file is checked
    /// against its digest; files already there are skipped, so running it again resumes.
    /// Then serve with `--blob-url` set to the target.
    Copy {
        /// The target store: `s3://bucket[/prefix][?options]`, or a local directory.
        #[arg(long)]
        to: String,
    },
}

#[derive(Subcommand, Debug)]
enum DbCommand {
    /// Copy every row of this install's database (the data dir's SQLite, or
    /// `--database-url`'s) into another, empty one: `postgres://…` to move to
    /// PostgreSQL. The target is migrated first; the copy is one transaction, so a
    /// failed copy leaves it empty. Every table's row count is compared at the end.
    /// Stop the servers first. Then serve with `--database-url` set to the target.
    Copy {
        /// The target database's URL (`postgres://user:password@host/db`, or `sqlite://…`).
        #[arg(long, hide_env_values = true)]
        to: String,
    },
}

#[derive(Subcommand, Debug)]
enum SiteCommand {
    /// Allow (`on`) or forbid (`off`) automation webhooks to private, loopback and
    /// link-local addresses.
    PrivateWebhooks {
        #[arg(value_parser = ["on", "off"])]
        state: String,
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

/// The key sealing automation secrets, kept in `secret.key` in the data directory
/// (created on first start, readable by this user only) so that a database dump alone
/// does not open them.
fn secret_key_file(data_dir: &std::path::Path) -> Fallible<String> {
    use server::service::automations::SecretKey;
    let path = data_dir.join("secret.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        SecretKey::parse(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        return Ok(text.trim().to_owned());
    }
    std::fs::create_dir_all(data_dir)?;
    let key = SecretKey::generate().to_hex();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    options.open(&path)?.write_all(key.as_bytes())?;
    Ok(key)
}

fn main() {
    few_malloc_arenas();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the Tokio runtime starts")
        .block_on(cairn_main());
}

/// glibc's allocator gives each thread that meets contention an arena of its own (up
/// to eight per core) and keeps what those arenas once held: with the Tokio workers
/// and one thread per SQLite connection, `cairn bench metrics` peaked at 368–459 MB,
/// against 258 MB with two arenas at the same speed (mimalloc, tried, peaked at
/// 514 MB). glibc reads `MALLOC_ARENA_MAX` when the process starts, and this crate
/// allows no `unsafe` (so no `mallopt`): when it is unset, the process starts itself
/// again, in place (same pid, same arguments), with it set to 2.
fn few_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        use std::os::unix::process::CommandExt;
        if let Ok(exe) = std::env::current_exe() {
            let err = std::process::Command::new(exe)
                .args(std::env::args_os().skip(1))
                .env("MALLOC_ARENA_MAX", "2")
                .exec();
            // Only reached when the exec failed: carry on with glibc's default.
            eprintln!("cairn: could not restart with MALLOC_ARENA_MAX=2 ({err}); continuing");
        }
    }
}

async fn cairn_main() {
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
            server::service::accounts::set_password(&db, &user, &password, None).await?;
            println!("set the password of {username}; their sessions ended");
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        Some(Command::Site {
            command: SiteCommand::PrivateWebhooks { state },
        }) => {
            let db = open(&cli).await?;
            let on = state == "on";
            server::service::automations::store_allow_internal(&db, on).await?;
            println!(
                "automation webhooks to private addresses are {}",
                if on { "allowed" } else { "refused" }
            );
            Ok(())
        }
        Some(Command::Db {
            command: DbCommand::Copy { to },
        }) => {
            let source = open(&cli).await?;
            let target = db::connect(to)
                .await
                .map_err(|e| format!("cannot open the target database: {e}"))?;
            db::migrate(&target).await?;
            println!("copying the database, table by table, parents first");
            let started = std::time::Instant::now();
            let mut last_print = started;
            let counts = db::copy::copy_database(&source, &target, |table, done, total| {
                if done == total || last_print.elapsed().as_secs() >= 2 {
                    last_print = std::time::Instant::now();
                    if total > 0 {
                        println!("  {table}: {done}/{total} rows");
                    }
                }
            })
            .await?;
            let rows: u64 = counts.iter().map(|c| c.target).sum();
            println!(
                "done in {:.1}s: {} tables, {rows} rows; every table's count matches the source",
                started.elapsed().as_secs_f64(),
                counts.len()
            );
            println!("files are not in the database: copy them with `cairn blobs copy` if they must move too");
            Ok(())
        }
        Some(Command::Blobs {
            command: BlobsCommand::Copy { to },
        }) => {
            let source = BlobStore::open_url(cli.blob_url.as_deref(), cli.data_dir.join("files"))?;
            let target = if to.starts_with("s3://") {
                BlobStore::open_url(Some(to), cli.data_dir.join("files"))?
            } else {
                BlobStore::open(to)?
            };
            target
                .reachable()
                .await
                .map_err(|e| format!("the target {} cannot be used: {e}", target.describe()))?;
            println!("copying {} to {}", source.describe(), target.describe());
            let started = std::time::Instant::now();
            let mut last_print = started;
            let report = source
                .copy_to(&target, |r| {
                    let done = r.copied + r.skipped;
                    if last_print.elapsed().as_secs() >= 2 || done == r.total {
                        last_print = std::time::Instant::now();
                        println!(
                            "  {done}/{} files ({} copied, {:.1} MB; {} already there)",
                            r.total,
                            r.copied,
                            r.bytes as f64 / 1e6,
                            r.skipped
                        );
                    }
                })
                .await?;
            println!(
                "done in {:.1}s: {} files, {} copied and checked against their digests, {} already there",
                started.elapsed().as_secs_f64(),
                report.total,
                report.copied,
                report.skipped
            );
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
        #[cfg(feature = "bench")]
        Some(Command::Bench { what }) => {
            server::bench::run(
                what.clone(),
                cli.database_url.as_deref(),
                cli.blob_url.as_deref(),
            )
            .await
            .map_err(|e| e.to_string())?;
            Ok(())
        }
        #[cfg(not(feature = "bench"))]
        Some(Command::Bench { .. }) => Err(
            "this cairn was built without the benchmarks; build them with \
             `cargo build --release -p server --features bench`"
                .into(),
        ),
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

async fn serve(cli: &Cli, args: &ServeArgs) -> Fallible<()> {
    // Every setting that is not a flag, read here once (README: "Settings").
    let mut config = Config::from_env()?;
    if config.secret_key.is_none() {
        config.secret_key = Some(secret_key_file(&cli.data_dir)?);
    }
    app::api::service::set_public_url(config.public_url.clone());
    let mut blobs = BlobStore::open_url(cli.blob_url.as_deref(), cli.data_dir.join("files"))?;
    if args.blob_presign {
        blobs = blobs.with_presigned_downloads()?;
    }
    // A store that cannot be listed now (no such bucket, wrong credentials) would fail
    // every upload later: say so at once instead.
    blobs
        .reachable()
        .await
        .map_err(|e| format!("the file store {} cannot be used: {e}", blobs.describe()))?;
    println!("Files are stored in {}", blobs.describe());
    let db = open(cli).await?;
    if let Some(first) = bootstrap::first_start(&db, config.admin.clone()).await? {
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
    config.listen_url = Some(format!("http://{addr}"));
    let state = AppState::start(db, blobs, config);
    let jobs = Jobs::start(&state);
    let app = server::web::router(server::wandb::WandbState::new(state).await?, leptos_options);
    let listener = tokio::net::TcpListener::bind(addr).await?;
    println!("Cairn is listening on http://{addr}");
    axum::serve(listener, app.into_make_service())
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    jobs.stop().await;
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

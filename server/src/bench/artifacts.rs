//! `cairn bench artifacts`: the Artifacts tab's server work at the sizes issue 16
//! names. Everything is seeded through the operations the wandb client's calls end
//! in (`CreateArtifact`, `CreateArtifactFiles`, the signed upload's store-and-attach,
//! the manifest upload, `CommitArtifact`, `UseArtifact`), then each read is timed in
//! process, as the server functions and `/api/v1` call it after their access check:
//!
//! - a collection of 2,000 versions: the first page of its versions table;
//! - a version of 100,000 files in 100 folders: the top folder and one folder;
//! - a run that used 250 versions and logged 250: its lineage, one step each way;
//! - a 1 GB version of 16 files: its zip streamed from local disk, with the growth of
//!   the process's peak memory while it streams.
//!
//! Each timing checks its answer (rows, folders, files, nodes, zip entries and bytes).

use std::time::Instant;

use futures_lite::StreamExt as _;
use sea_orm::{DatabaseConnection, Set};
use serde_json::{json, Map, Value};

use app::model::{ProjectRef, RunId, VersionRef, VersionSort, VersionsQuery};

use crate::bench::Row;
use crate::blobs::BlobStore;
use crate::db::entities::{artifact, user};
use crate::db::repo::artifacts as repo;
use crate::service::artifacts::{self, Focus};
use crate::wandb::artifacts as wb;
use crate::wandb::gql::Args;

type Fallible<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

const PROJECT: &str = "artifacts-bench";

#[derive(Clone, Debug)]
pub struct ArtifactSizes {
    pub versions: usize,
    pub files: usize,
    pub folders: usize,
    pub lineage_each_way: usize,
    pub zip_files: usize,
    pub zip_file_bytes: usize,
    pub repeats: usize,
}

impl ArtifactSizes {
    pub fn full() -> Self {
        ArtifactSizes {
            versions: 2_000,
            files: 100_000,
            folders: 100,
            lineage_each_way: 250,
            zip_files: 16,
            zip_file_bytes: 64 << 20,
            repeats: 30,
        }
    }

    pub fn quick() -> Self {
        ArtifactSizes {
            versions: 200,
            files: 10_000,
            folders: 20,
            lineage_each_way: 25,
            zip_files: 4,
            zip_file_bytes: 16 << 20,
            repeats: 10,
        }
    }
}

fn args(v: Value) -> Args {
    Args(v.as_object().cloned().unwrap_or_default())
}

/// Log one version of `collection` with `files` (path, bytes) from run `run`, the
/// way the wandb client does it; returns the version's key.
async fn log_version(
    db: &DatabaseConnection,
    blobs: &BlobStore,
    user: &user::Model,
    collection: &str,
    run: &str,
    files: &[(String, Vec<u8>)],
) -> Fallible<i32> {
    let digest = wb::md5_base64(
        files
            .iter()
            .flat_map(|(p, b)| p.bytes().chain(b.iter().copied()))
            .collect::<Vec<u8>>()
            .as_slice(),
    );
    let created = wb::create(
        db,
        user,
        &args(json!({"artifactTypeName": "dataset", "artifactCollectionName": collection,
                      "digest": digest, "entityName": "bench", "projectName": PROJECT, "runName": run,
                      "aliases": [{"alias": "latest"}], "clientID": format!("{collection}-{digest}")})),
    )
    .await?;
    let id = crate::wandb::ids::keyed("Artifact", created.art.id);
    let mut contents = Map::new();
    // The client registers files 1,000 at a time.
    for chunk in files.chunks(1_000) {
        let entries: Vec<Value> = chunk
            .iter()
            .map(|(p, b)| json!({"artifactID": id, "name": p, "md5": wb::md5_base64(b)}))
            .collect();
        let slots = wb::create_files(db, user, &args(json!({"artifactFiles": entries}))).await?;
        for ((path, bytes), slot) in chunk.iter().zip(slots) {
            if slot.needs_upload {
                // What the signed upload does once its signature is checked.
                let stored = blobs.put(bytes).await?;
                let md5 = wb::md5_base64_of_hex(&stored.md5);
                repo::attach_upload(
                    db,
                    created.art.id,
                    path,
                    &md5,
                    &stored.sha256,
                    stored.size as i64,
                )
                .await?;
            }
            contents.insert(
                path.clone(),
                json!({"digest": wb::md5_base64(bytes), "size": bytes.len()}),
            );
        }
    }
    let manifest = json!({"version": 1, "contents": contents}).to_string();
    let stored = blobs.put(manifest.as_bytes()).await?;
    let v = repo::version(db, created.art.id)
        .await?
        .ok_or("version vanished")?;
    let mut a: artifact::ActiveModel = v.into();
    a.manifest_sha256 = Set(Some(stored.sha256));
    repo::update_version(db, a).await?;
    wb::commit(db, blobs, user, &id).await?;
    Ok(created.art.id)
}

fn timed_ms(samples: &mut [f64]) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    let p = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    (p(0.5), p(0.95))
}

/// The process's resident memory now, in MiB (Linux; 0 elsewhere).
fn rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Seed and time everything on the database at `url` with its blobs in `dir`.
pub async fn run(url: &str, dir: &std::path::Path, sizes: &ArtifactSizes) -> Fallible<Vec<Row>> {
    let db = crate::db::connect(url).await?;
    crate::db::migrate(&db).await?;
    let blobs = BlobStore::open(dir.join("files"))?;
    let user = crate::bootstrap::create_user(&db, "bench", "bench-password", false).await?;
    for run in ["producer", "hub"] {
        crate::service::ops::upsert_run(
            &db,
            &user,
            crate::service::ops::types::UpsertRun {
                project: PROJECT.into(),
                id: Some(run.into()),
                ..Default::default()
            },
        )
        .await?;
    }
    let at = ProjectRef::new("bench", PROJECT);
    let mut rows = Vec::new();

    // A collection of many versions.
    let t = Instant::now();
    for i in 0..sizes.versions {
        let files = vec![(
            format!("part-{i}.txt"),
            format!("version {i}\n").into_bytes(),
        )];
        log_version(&db, &blobs, &user, "many", "producer", &files).await?;
    }
    println!(
        "  seeded {} versions in {:.1}s",
        sizes.versions,
        t.elapsed().as_secs_f64()
    );
    let q = VersionsQuery {
        collection: "many".into(),
        sort: VersionSort::Version,
        descending: true,
        offset: 0,
        limit: app::model::VERSIONS_PER_PAGE,
    };
    let mut ms = Vec::new();
    for _ in 0..sizes.repeats {
        let t = Instant::now();
        let page = artifacts::versions_page(&db, Some(&user), &at, Some("dataset"), &q).await?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        if page.total != sizes.versions as u64
            || page.rows.len() != app::model::VERSIONS_PER_PAGE as usize
            || page.rows[0].index != sizes.versions as i32 - 1
        {
            return Err(format!(
                "versions page answered {} of {} rows",
                page.rows.len(),
                page.total
            )
            .into());
        }
    }
    let (p50, p95) = timed_ms(&mut ms);
    rows.push(Row {
        workload: format!(
            "versions table, first page of {} versions (target < 50 ms)",
            sizes.versions
        ),
        result: format!("p50 {p50:.1} ms, p95 {p95:.1} ms"),
    });

    // A version of many files.
    let t = Instant::now();
    let per_folder = sizes.files / sizes.folders;
    let files: Vec<(String, Vec<u8>)> = (0..sizes.files)
        .map(|i| {
            (
                format!("shard-{:03}/item-{:06}.bin", i / per_folder, i),
                format!("file {i}").into_bytes(),
            )
        })
        .collect();
    log_version(&db, &blobs, &user, "big", "producer", &files).await?;
    println!(
        "  seeded a version of {} files in {:.1}s",
        sizes.files,
        t.elapsed().as_secs_f64()
    );
    let big = VersionRef {
        project: at.clone(),
        type_name: "dataset".into(),
        collection: "big".into(),
        version: "latest".into(),
    };
    for (label, prefix, folders, files_here) in [
        ("top folder", String::new(), sizes.folders, 0),
        ("one folder", "shard-007/".to_owned(), 0, per_folder),
    ] {
        let mut ms = Vec::new();
        let mut first = 0.0;
        for i in 0..sizes.repeats {
            let t = Instant::now();
            let page = artifacts::files_page(
                &db,
                Some(&user),
                &big,
                &prefix,
                0,
                app::model::FILES_PER_PAGE,
            )
            .await?;
            let took = t.elapsed().as_secs_f64() * 1e3;
            if i == 0 {
                first = took;
            }
            ms.push(took);
            let total = (folders + files_here) as u64;
            if page.total != total || page.folders.len() != folders.min(200) {
                return Err(format!(
                    "{label}: {} entries, {} folders",
                    page.total,
                    page.folders.len()
                )
                .into());
            }
        }
        let (p50, p95) = timed_ms(&mut ms);
        rows.push(Row {
            workload: format!(
                "files tree, {label} of a {}-file version (target < 50 ms)",
                sizes.files
            ),
            result: format!("p50 {p50:.1} ms, p95 {p95:.1} ms (first call {first:.1} ms)"),
        });
    }

    // A run that used and logged many versions.
    let t = Instant::now();
    let mut used = Vec::new();
    for i in 0..sizes.lineage_each_way {
        let files = vec![(format!("in-{i}.txt"), format!("input {i}\n").into_bytes())];
        used.push(
            log_version(
                &db,
                &blobs,
                &user,
                &format!("input-{i}"),
                "producer",
                &files,
            )
            .await?,
        );
        let files = vec![(format!("out-{i}.txt"), format!("output {i}\n").into_bytes())];
        log_version(&db, &blobs, &user, &format!("output-{i}"), "hub", &files).await?;
    }
    for pk in &used {
        wb::use_artifact(
            &db,
            &user,
            &args(
                json!({"artifactID": crate::wandb::ids::keyed("Artifact", *pk),
                          "entityName": "bench", "projectName": PROJECT, "runName": "hub"}),
            ),
        )
        .await?;
    }
    println!(
        "  seeded lineage of {} versions in {:.1}s",
        2 * sizes.lineage_each_way,
        t.elapsed().as_secs_f64()
    );
    let focus = Focus::Run(at.clone(), RunId("hub".into()));
    let mut ms = Vec::new();
    for _ in 0..sizes.repeats {
        let t = Instant::now();
        let g = artifacts::lineage(&db, Some(&user), &focus, 1).await?;
        ms.push(t.elapsed().as_secs_f64() * 1e3);
        if g.nodes.len() != 1 + 2 * sizes.lineage_each_way
            || g.edges.len() != 2 * sizes.lineage_each_way
        {
            return Err(
                format!("lineage: {} nodes, {} edges", g.nodes.len(), g.edges.len()).into(),
            );
        }
    }
    let (p50, p95) = timed_ms(&mut ms);
    rows.push(Row {
        workload: format!(
            "lineage of a run with {} used and logged versions (target < 100 ms)",
            2 * sizes.lineage_each_way
        ),
        result: format!("p50 {p50:.1} ms, p95 {p95:.1} ms"),
    });

    // A large version, zipped.
    let t = Instant::now();
    let files: Vec<(String, Vec<u8>)> = (0..sizes.zip_files)
        .map(|i| {
            let mut b = vec![0u8; sizes.zip_file_bytes];
            // Distinct contents, so nothing is deduplicated.
            for (j, x) in b.iter_mut().enumerate().step_by(4096) {
                *x = (i * 31 + j / 4096) as u8;
            }
            (format!("weights/part-{i:02}.bin"), b)
        })
        .collect();
    let total_bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    log_version(&db, &blobs, &user, "large", "producer", &files).await?;
    drop(files);
    println!(
        "  seeded a {} MiB version in {:.1}s",
        total_bytes >> 20,
        t.elapsed().as_secs_f64()
    );
    let large = VersionRef {
        collection: "large".into(),
        ..big.clone()
    };
    let (_, entries) = artifacts::zip_entries(&db, Some(&user), &large, "").await?;
    let before = rss_mib();
    let mut highest = before;
    let t = Instant::now();
    let mut stream = Box::pin(artifacts::zip::stream(blobs.clone(), entries));
    let mut streamed = 0usize;
    let mut tail: Vec<u8> = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        streamed += chunk.len();
        if streamed % (64 << 20) < chunk.len() {
            highest = highest.max(rss_mib());
        }
        tail.extend_from_slice(&chunk);
        if tail.len() > 1 << 16 {
            tail.drain(..tail.len() - (1 << 15));
        }
    }
    let secs = t.elapsed().as_secs_f64();
    let grew = highest.max(rss_mib()) - before;
    // The end-of-central-directory record says how many entries the zip holds.
    let eocd = tail
        .windows(4)
        .rposition(|w| w == [0x50, 0x4b, 0x05, 0x06])
        .ok_or("the zip has no end-of-central-directory record")?;
    let count = u16::from_le_bytes([tail[eocd + 10], tail[eocd + 11]]) as usize;
    if count != sizes.zip_files || streamed < total_bytes {
        return Err(format!("zip: {count} entries, {streamed} bytes for {total_bytes}").into());
    }
    rows.push(Row {
        workload: format!(
            "zip of a {} MiB version from local disk (target > 200 MB/s)",
            total_bytes >> 20
        ),
        result: format!(
            "{:.0} MB/s ({:.2} s); resident memory grew at most {grew:.0} MiB while streaming",
            streamed as f64 / 1e6 / secs,
            secs
        ),
    });
    Ok(rows)
}

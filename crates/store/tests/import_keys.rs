//! Exactly-once commits: a batch whose natural keys overlap a batch committed after the
//! import's snapshot is refused, and nothing of it is written.

use rumbo_domain::programme::{NewProgramme, ProgrammeInput};
use rumbo_domain::rut::Rut;
use rumbo_store::imports::NewBatch;
use rumbo_store::{testing::fresh_store, Actor, Store, StoreError};

async fn programme(store: &Store) -> i64 {
    let sys = Actor::system("test");
    let client = store
        .create_client(&sys, "Banco Austral", Rut::parse("76.086.428-5").unwrap())
        .await
        .unwrap();
    let p = NewProgramme::try_from(ProgrammeInput {
        code: "KEYS-1".into(),
        name: "Claves".into(),
        client_id: Some(client.id),
        channels: vec!["voice_inbound".into()],
        start_date: "2026-01-01".into(),
        ..Default::default()
    })
    .unwrap();
    store.create_programme(&sys, &p).await.unwrap().id
}

fn batch(programme_id: i64, keys: Vec<u128>, after_batch: i64) -> NewBatch {
    NewBatch {
        programme_id,
        source: "calls".into(),
        file_name: "f.csv".into(),
        file_hash: "h".into(),
        imported: keys.len() as i64,
        keys: keys.into(),
        after_batch,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_commit_overlapping_a_batch_committed_after_its_snapshot_is_refused() {
    let store = fresh_store().await.unwrap();
    let p = programme(&store).await;
    let actor = Actor::system("test");
    let big = u128::MAX - 7;
    let first = store
        .commit_import(&actor, &batch(p, vec![1, 2, big], 0))
        .await
        .unwrap();
    assert_eq!(store.newest_batch(p).await.unwrap(), first);
    // Taken before `first` was committed, overlapping it: refused, nothing written.
    let refused = store
        .commit_import(&actor, &batch(p, vec![5, big], 0))
        .await;
    assert!(
        matches!(refused, Err(StoreError::Conflict("import.keys"))),
        "{refused:?}"
    );
    assert_eq!(store.import_batches(p).await.unwrap().len(), 1);
    // Disjoint keys from the same old snapshot commit; so do keys taken after `first`.
    let disjoint = store
        .commit_import(&actor, &batch(p, vec![3, 4], 0))
        .await
        .unwrap();
    store
        .commit_import(&actor, &batch(p, vec![6], disjoint))
        .await
        .unwrap();
    let mut keys = Vec::new();
    for b in store.import_batches(p).await.unwrap() {
        store
            .for_each_batch_key(b.id, |k| keys.push(k))
            .await
            .unwrap();
    }
    keys.sort_unstable();
    assert_eq!(keys, vec![1, 2, 3, 4, 6, big]);
}

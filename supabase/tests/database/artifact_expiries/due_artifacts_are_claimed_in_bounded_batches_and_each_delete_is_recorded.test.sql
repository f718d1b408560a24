begin;
select plan(16);

-- SETUP
-- Three artifacts of one run registered now; the other workspace has one too, and no policy.
select tests.seed();
select * from tests.registered_artifact() \gset
select public.register_artifact(
    :'lease', 'extract', 'b.csv', format('s3://controlroom-artifacts/%s/%s/1/extract/b.csv', tests.workspace_id(), :'run_id'),
    repeat('b', 64), 10, version_id => 'v-b'
);
select public.register_artifact(
    :'lease', 'extract', 'c.csv', format('s3://controlroom-artifacts/%s/%s/1/extract/c.csv', tests.workspace_id(), :'run_id'),
    repeat('c', 64), 10, version_id => 'v-c'
);
select public.complete_run(:'lease', '{}');
select
    o.run_id as other_run,
    o.lease as other_lease
from tests.running_attempt(null, tests.other_workspace_id()) as o \gset
select public.register_artifact(
    :'other_lease', 'extract', 'o.csv',
    format('s3://controlroom-artifacts/%s/%s/1/extract/o.csv', tests.other_workspace_id(), :'other_run'),
    repeat('d', 64), 10
);
select tests.reset_role();
select public.set_retention_policy(tests.workspace_id(), artifacts_after_days => 30);

-- TEST: nothing is due before the policy's days have passed
select is(
    public.claim_artifact_expiries('test', 10, 60, tests.workspace_id(), now() + interval '29 days') -> 'expiries', '[]'::jsonb,
    'artifacts 29 days old are kept'
);

-- TEST: a claim takes at most max_artifacts, each with its own lease and the exact version to delete
select public.claim_artifact_expiries('test', 2, 60, tests.workspace_id(), now() + interval '31 days') as first_claim \gset
select is(jsonb_array_length(:'first_claim'::jsonb -> 'expiries'), 2, 'bounded: two of three');
select is(
    (select count(distinct e.v ->> 'lease_token')::integer from jsonb_array_elements(:'first_claim'::jsonb -> 'expiries') as e (v)),
    2, 'each with a lease token of its own'
);
select ok(
    (select bool_and(e.v ->> 'workspace_id' = tests.workspace_id()::text and e.v ? 'uri' and e.v ? 'version_id')
        from jsonb_array_elements(:'first_claim'::jsonb -> 'expiries') as e (v)),
    'of the workspace with the policy, naming the uri and the version the record pins'
);

-- TEST: confirming the deletes records one expiry per artifact and one purge row for the batch
select public.confirm_artifact_expiries(
    (select jsonb_agg(jsonb_build_object('artifact_id', e.v -> 'artifact_id', 'lease_token', e.v -> 'lease_token', 'outcome', 'deleted'))
        from jsonb_array_elements(:'first_claim'::jsonb -> 'expiries') as e (v)),
    now() + interval '31 days'
) as confirmed \gset
select is(
    (select array_agg(distinct r.v ->> 'outcome') from jsonb_array_elements(:'confirmed'::jsonb -> 'results') as r (v)),
    array['accepted'], 'both accepted'
);
select results_eq(
    format($$ select count(*)::integer, min(x.outcome), min(x.expired_by), min(x.cutoff), min(x.policy ->> 'artifacts_after_days')
        from public.artifact_expiries as x where x.workspace_id = %L $$, tests.workspace_id()),
    $$ values (2, 'deleted'::text, 'test'::text, now() + interval '1 day', '30'::text) $$,
    'two expiry records: outcome, who, the cutoff and the policy'
);
select results_eq(
    format($$ select p.what, p.rows_purged, p.cutoff, p.purged_at from public.retention_purges as p where p.workspace_id = %L $$,
        tests.workspace_id()),
    $$ values ('artifact_objects'::text, 2::bigint, now() + interval '1 day', now() + interval '31 days') $$,
    'one retention_purges row: what, how many, the cutoff, when'
);
select is(
    (select count(*)::integer from public.artifacts as a where a.workspace_id = tests.workspace_id()), 3,
    'the artifact records stay (write-once; lineage and digests outlive the bytes)'
);

-- TEST: the same confirmation again is a duplicate and records nothing more
select is(
    (select array_agg(distinct r.v ->> 'outcome') from jsonb_array_elements((public.confirm_artifact_expiries(
        (select jsonb_agg(jsonb_build_object('artifact_id', e.v -> 'artifact_id', 'lease_token', e.v -> 'lease_token', 'outcome', 'deleted'))
            from jsonb_array_elements(:'first_claim'::jsonb -> 'expiries') as e (v)),
        now() + interval '31 days'
    )) -> 'results') as r (v)),
    array['duplicate'], 'a retried confirmation answers duplicate'
);
select is(
    (select count(*)::integer from public.retention_purges as p where p.workspace_id = tests.workspace_id()), 1,
    'and adds no purge row'
);

-- TEST: the next claim takes the third; expired ones and the other workspace's never come back
select public.claim_artifact_expiries('test', 10, 60, tests.workspace_id(), now() + interval '31 days') as second_claim \gset
select is(jsonb_array_length(:'second_claim'::jsonb -> 'expiries'), 1, 'the third artifact');
select ok(
    (select e.v ->> 'artifact_id' not in (select x.artifact_id::text from public.artifact_expiries as x)
        from jsonb_array_elements(:'second_claim'::jsonb -> 'expiries') as e (v)),
    'not one already expired'
);
select is(
    public.claim_artifact_expiries('test', 10, 60, tests.other_workspace_id(), now() + interval '31 days') -> 'expiries',
    '[]'::jsonb, 'a workspace without an artifacts policy has nothing due'
);
select is(
    (select count(*)::integer from public.artifact_expiry_queue as q where q.workspace_id = tests.other_workspace_id()), 0,
    'and nothing queued'
);

-- TEST: the records go with their run when retention purges it (the only door)
select is(
    private.purge_finished_runs_of(tests.workspace_id(), now() + interval '1 minute', 10), 1::bigint,
    'the finished run is purged'
);
select results_eq(
    format($$ select (select count(*)::integer from public.artifact_expiries as x where x.workspace_id = %1$L),
        (select count(*)::integer from public.artifact_expiry_queue as q where q.workspace_id = %1$L) $$, tests.workspace_id()),
    $$ values (0, 0) $$,
    'with its expiry records and queue rows'
);

select * from finish();
rollback;

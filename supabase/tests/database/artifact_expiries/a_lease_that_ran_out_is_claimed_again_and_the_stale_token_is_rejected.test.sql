begin;
select plan(7);

-- SETUP
-- One due artifact, claimed with a 60 s lease by a process that then crashes (no confirmation).
select tests.seed();
select * from tests.registered_artifact() \gset
select tests.reset_role();
select public.set_retention_policy(tests.workspace_id(), artifacts_after_days => 1);
select public.claim_artifact_expiries('crashed', 10, 60, tests.workspace_id(), now() + interval '2 days') -> 'expiries' -> 0 ->> 'lease_token' as old_token \gset

-- TEST: while the lease holds, nobody else gets the artifact
select is(
    public.claim_artifact_expiries('other', 10, 60, tests.workspace_id(), now() + interval '2 days 30 seconds') -> 'expiries', '[]'::jsonb,
    'a live lease is not shared'
);

-- TEST: after the lease ran out, the next claim takes it again with a new token (the delete is redone)
select public.claim_artifact_expiries('other', 10, 60, tests.workspace_id(), now() + interval '2 days 61 seconds') -> 'expiries' -> 0 as again \gset
select is((:'again'::jsonb ->> 'artifact_id')::uuid, :'artifact_id'::uuid, 'the same artifact');
select isnt(:'again'::jsonb ->> 'lease_token', :'old_token', 'with a new lease token');
select is((:'again'::jsonb ->> 'attempt')::integer, 2, 'its second attempt');

-- TEST: the crashed process's late confirmation is refused; the new holder's is recorded
select is(
    public.confirm_artifact_expiries(
        jsonb_build_array(jsonb_build_object('artifact_id', :'artifact_id', 'lease_token', :'old_token', 'outcome', 'deleted')),
        now() + interval '2 days 62 seconds'
    ) -> 'results' -> 0 ->> 'code',
    'PT409', 'a token of an earlier claim is rejected'
);
select is(
    public.confirm_artifact_expiries(
        jsonb_build_array(jsonb_build_object(
            'artifact_id', :'artifact_id', 'lease_token', :'again'::jsonb ->> 'lease_token', 'outcome', 'already_gone'
        )),
        now() + interval '2 days 63 seconds'
    ) -> 'results' -> 0 ->> 'outcome',
    'accepted', 'the redo finds the version gone and says so'
);
select results_eq(
    format($$ select x.outcome, x.expired_by from public.artifact_expiries as x where x.artifact_id = %L $$, :'artifact_id'),
    $$ values ('already_gone'::text, 'other'::text) $$,
    'one expiry record: nothing lost, nothing recorded twice'
);

select * from finish();
rollback;

begin;
select plan(4);

-- SETUP
-- An artifact queued under a one-day policy whose first delete failed (retry in two minutes); then
-- the admins keep objects 30 days.
select tests.seed();
select * from tests.registered_artifact() \gset
select tests.reset_role();
select public.set_retention_policy(tests.workspace_id(), artifacts_after_days => 1);
select public.claim_artifact_expiries('test', 10, 60, tests.workspace_id(), now() + interval '2 days') -> 'expiries' -> 0 ->> 'lease_token'
    as token \gset
select public.confirm_artifact_expiries(
    jsonb_build_array(jsonb_build_object('artifact_id', :'artifact_id', 'lease_token', :'token', 'outcome', 'failed', 'error', 'timeout')),
    now() + interval '2 days'
);
select public.set_retention_policy(tests.workspace_id(), artifacts_after_days => 30);

-- TEST: the policy is read again at the claim: the artifact is not claimed, and waits for the new date
select is(
    public.claim_artifact_expiries('test', 10, 60, tests.workspace_id(), now() + interval '2 days 5 minutes') -> 'expiries',
    '[]'::jsonb, 'not due under the longer policy'
);
select results_eq(
    format($$ select q.status, q.due_at from public.artifact_expiry_queue as q where q.artifact_id = %L $$, :'artifact_id'),
    format($$ select 'pending'::text, a.created_at + interval '30 days' from public.artifacts as a where a.id = %L $$, :'artifact_id'),
    'pending until 30 days after its registration'
);

-- TEST: removing the policy keeps it (looked at again daily); at the new date it is claimed
select is(
    (public.claim_artifact_expiries('test', 10, 60, tests.workspace_id(), now() + interval '31 days') -> 'expiries' -> 0 ->> 'artifact_id')::uuid,
    :'artifact_id'::uuid, 'claimed once 30 days have passed'
);
select public.set_retention_policy(tests.workspace_id());
select is(
    public.claim_artifact_expiries('test', 10, 60, tests.workspace_id(), now() + interval '400 days') -> 'expiries',
    '[]'::jsonb, 'with no artifacts policy, nothing is claimed however old'
);

select * from finish();
rollback;

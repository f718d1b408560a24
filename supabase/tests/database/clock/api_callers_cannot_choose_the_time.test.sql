begin;
select plan(6);

-- An API request arrives in a session of PostgREST's login role (authenticator) with a role set
-- for the request; this file makes its calls the same way (set local session authorization).

-- SETUP
select tests.seed('{"retries": {"max_attempts": 3, "base_seconds": 3600, "max_backoff_seconds": 3600}}');
select tests.workspace_id() as ws \gset
select * from tests.running_attempt() \gset
select tests.reset_role();
select * from tests.claimed_attempt() \gset backoff_
select public.fail_run(:'backoff_lease', true, 'io');
select tests.reset_role();

-- TEST: a submit dated 1999 by an operator is dated now
select tests.authenticate_as('operator');
set local session authorization authenticator;
set local role authenticated;
select (public.submit_run(:'ws', 'etl', as_of => '1999-01-01')).id as old_run \gset
select tests.reset_role();
reset session authorization;
select is(
    (tests.run(:'old_run')).created_at, now(), 'an API user cannot date a submission in the past'
);

-- TEST: a cancel "years ago" is dated now, so the run does not look purgeable
select tests.authenticate_as('operator');
set local session authorization authenticator;
set local role authenticated;
select (public.cancel_run(:'old_run', 'old', as_of => now() - interval '5 years')).status as cancelled \gset
select tests.reset_role();
reset session authorization;
select is(
    (tests.run(:'old_run')).finished_at, now(), 'an API user cannot date a cancellation years back'
);

-- TEST: a claim two hours ahead does not skip the retry backoff
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
set local session authorization authenticator;
set local role controlroom_executor;
select count(*)::integer as claimed
from public.claim_runs(:'executor_id', 10, as_of => now() + interval '2 hours') as c
where c.run_id = :'backoff_run_id' \gset
select tests.reset_role();
reset session authorization;
select is(:claimed, 0, 'an API executor cannot claim ahead of time past the backoff');

-- TEST: a heartbeat cannot extend a lease to 2100
select tests.authenticate_as_executor(tests.pool(), tests.workspace_id());
set local session authorization authenticator;
set local role controlroom_executor;
select h.lease_expires_at as expires
from public.heartbeat(:'executor_id', jsonb_build_array(:'lease'), as_of => '2100-01-01') as h \gset
select tests.reset_role();
reset session authorization;
select ok(:'expires'::timestamptz < now() + interval '1 day', 'an API executor cannot extend its lease to 2100');
select is(
    (tests.attempt(:'lease')).heartbeat_at, now(), 'the heartbeat is dated now'
);

-- TEST: the service role over the API may still choose the time (operators' tools)
select tests.authenticate_as_service_role();
set local session authorization authenticator;
set local role service_role;
select (public.submit_run(:'ws', 'etl', as_of => '1999-01-01')).id as dated_run \gset
select tests.reset_role();
reset session authorization;
select is(
    (tests.run(:'dated_run')).created_at, '1999-01-01 00:00:00+00'::timestamptz, 'the service role may date a call'
);

select * from finish();
rollback;

begin;
select plan(6);

-- SETUP: an attempt that ran from 23:00 to 01:00 UTC across midnight, and one that still runs
select tests.seed();
select r.lease
from tests.running_attempt('2026-11-29 23:00:00+00') as r \gset
select public.complete_run(:'lease', as_of => '2026-11-30 01:00:00+00') \gset
select r.lease as live_lease
from tests.running_attempt('2026-11-30 11:00:00+00') as r \gset
select tests.reset_role();

-- TEST: split at UTC midnight without limits; a live attempt counts up to until
select results_eq(
    $$
    select u.day, u.time_zone, u.run_seconds, u.cost_seconds, u.attempts
    from public.workspace_usage('2026-11-29 00:00:00+00', '2026-11-30 12:00:00+00', tests.workspace_id()) as u
    order by u.day
    $$,
    $$
    values ('2026-11-29'::date, 'UTC'::text, 3600::double precision, 3600::double precision, 1::bigint),
    ('2026-11-30'::date, 'UTC'::text, 7200::double precision, 7200::double precision, 2::bigint)
    $$,
    'an attempt across midnight is split between its days; a live one counts up to until'
);

-- TEST: the window clips what is counted
select is(
    (
        select pg_catalog.sum(u.run_seconds)
        from public.workspace_usage('2026-11-30 00:30:00+00', '2026-11-30 11:30:00+00', tests.workspace_id()) as u
    ),
    3600::double precision,
    'only the part of each attempt inside the window counts (30 min + 30 min)'
);

-- TEST: the budget day of the workspace's time zone, the pool's cost rate and the budget
select public.set_workspace_limits(
    tests.workspace_id(), '{"daily_budget_seconds": 36000, "budget_time_zone": "Europe/Berlin"}'
) \gset
select public.set_pool_limits(tests.workspace_id(), tests.pool(), cost_rate => 2) \gset
select results_eq(
    $$
    select u.day, u.time_zone, u.run_seconds, u.cost_seconds, u.daily_budget_seconds
    from public.workspace_usage('2026-11-29 00:00:00+00', '2026-11-30 02:00:00+00', tests.workspace_id()) as u
    $$,
    $$
    values ('2026-11-30'::date, 'Europe/Berlin'::text, 7200::double precision, 14400::double precision,
        36000::double precision)
    $$,
    '23:00-01:00 UTC is one Berlin day, at twice the cost, next to the budget'
);

-- TEST: members see their workspace's usage, nobody else does
select tests.authenticate_as('viewer');
select is(
    (select pg_catalog.count(*)::integer from public.workspace_usage('2026-11-29', '2026-12-01', tests.workspace_id())),
    2,
    'a viewer sees the workspace''s usage (30 Nov and 1 Dec in Berlin)'
);
select tests.authenticate_as('outsider');
select is(
    (select pg_catalog.count(*)::integer from public.workspace_usage('2026-11-29', '2026-12-01', tests.workspace_id())),
    0,
    'a user of another workspace sees none of it'
);
select tests.clear_authentication();
select throws_ok(
    $$ select * from public.workspace_usage() $$,
    '42501', null,
    'anon cannot call it'
);

select * from finish();
rollback;

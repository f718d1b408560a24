begin;
select plan(8);

-- SETUP
select tests.seed();
select public.set_retention_policy(tests.workspace_id(), 7, 90);
select * from tests.running_attempt(now() - interval '30 days') \gset
select public.emit_events(:'lease', jsonb_build_array(jsonb_build_object('seq', 1, 'type', 'log', 'ts', now() - interval '30 days')));
select public.complete_run(:'lease', '{}', now() - interval '30 days');
select tests.reset_role();
select private.apply_retention(now(), 100);

-- TEST: admins set the policy; operators and viewers do not
select tests.authenticate_as('admin');
select is((public.set_retention_policy(tests.workspace_id(), 14, null)).events_after_days, 14, 'an admin sets it');
select tests.authenticate_as('operator');
select throws_ok(
    format($$ select public.set_retention_policy(%L, 1, 1) $$, tests.workspace_id()), '42501', null, 'an operator does not'
);
select throws_ok(
    format($$ select public.set_retention_policy(%L, 0, null) $$, tests.workspace_id()), '42501', null,
    'nor with a bad value'
);
select tests.authenticate_as('admin');
select throws_ok(
    format($$ select public.set_retention_policy(%L, 0, null) $$, tests.workspace_id()), '22023', null, 'days are 1 or more'
);

-- TEST: members read the policy and the purges of their workspace, others nothing
select tests.authenticate_as('viewer');
select results_eq(
    $$ select (select count(*)::integer from public.retention_policies), (select count(*)::integer from public.retention_purges) $$,
    $$ values (1, 1) $$, 'a viewer reads both'
);
select tests.authenticate_as('outsider');
select results_eq(
    $$ select (select count(*)::integer from public.retention_policies), (select count(*)::integer from public.retention_purges) $$,
    $$ values (0, 0) $$, 'an outsider reads nothing'
);
select tests.clear_authentication();
select throws_ok('select count(*) from public.retention_purges', '42501', null, 'anon reads nothing');

-- TEST: the purge record is append-only
select tests.reset_role();
select throws_ok('delete from public.retention_purges', '42501', null, 'purge records cannot be deleted');

select * from finish();
rollback;

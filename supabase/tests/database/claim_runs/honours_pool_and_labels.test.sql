begin;
select plan(3);

-- SETUP
select tests.seed();
select tests.publish_spec(tests.workspace_id(), 'gpu-job', '1', jsonb_build_object('pool', tests.pool(), 'labels', '{"gpu": "a100"}'::jsonb));
select tests.publish_spec(tests.workspace_id(), 'elsewhere', '1', '{"pool": "some-other-pool"}');
select tests.submit_run(tests.workspace_id(), 'gpu-job');
select tests.submit_run(tests.workspace_id(), 'elsewhere');
select tests.executor(tests.workspace_id()) as plain_executor_id \gset

-- TEST: a claim matches the required labels and the executor's own pool only
select is(
    (select count(*)::integer from public.claim_runs(:'plain_executor_id', 10)),
    0, 'an executor without the required labels claims nothing, and other pools are invisible'
);
select is(
    (select count(*)::integer from public.claim_runs(:'plain_executor_id', 10, labels => '{"gpu": "a100", "zone": "x"}')),
    1, 'with the labels (a superset) it claims the labelled run'
);
select throws_ok(
    format($$ select * from public.claim_runs(%L, 10, pool => 'some-other-pool') $$, :'plain_executor_id'),
    '42501', null, 'an executor cannot claim from another pool'
);

select * from finish();
rollback;

begin;
select plan(3);

-- SETUP
select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl');
select tests.executor(tests.workspace_id()) as executor_id \gset
select c.lease_token as lease from public.claim_runs(:'executor_id', 1, start => true) as c \gset

-- TEST: an item's result above 64 KiB or deeper than 32 levels refuses the whole batch, naming the item
select throws_ok(
    format(
        $$ select * from public.complete_runs(%L::uuid, jsonb_build_array(
            jsonb_build_object('lease', %L::text, 'result', jsonb_build_object('blob', repeat('x', 65536))))) $$,
        :'executor_id', :'lease'
    ),
    'PT413', null, 'items[0].result above 64 KiB is refused with 413'
);
select throws_ok(
    format(
        $$ select * from public.complete_runs(%L::uuid, jsonb_build_array(
            jsonb_build_object('lease', %L::text, 'result', (repeat('{"a": ', 40) || '1' || repeat('}', 40))::jsonb))) $$,
        :'executor_id', :'lease'
    ),
    '22023', 'items[0].result is nested too deeply: more than 32 levels, the limit is 32 levels',
    'items[0].result nested 40 levels deep is refused'
);
select tests.reset_role();
select is((tests.attempt(:'lease')).status, 'running', 'nothing of the batch was changed');

select * from finish();
rollback;

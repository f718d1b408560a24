begin;
select plan(6);

-- SETUP
select tests.seed(
    '{"params": {"type": "object", "additionalProperties": false, "required": ["day"],
      "properties": {"day": {"type": "string"}, "n": {"type": "integer", "default": 3},
                     "mode": {"enum": ["full", "delta"], "default": "delta"}}}}'
);
select tests.authenticate_as('operator');

-- TEST: each problem in the CLI's words, all of them, root first
select throws_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl', params => '{"n": "x", "mode": "all", "extra": 1}') $$,
    '22023',
    E'params of etl v1: \'day\' is a required property\nparams of etl v1: Additional properties are not allowed (\'extra\' was unexpected)\nparams of etl v1: mode: \'all\' is not one of [\'full\', \'delta\']\nparams of etl v1: n: \'x\' is not of type \'integer\'',
    'required, additional, enum and type problems are listed as the CLI lists them'
);
select throws_ok(
    $$ select public.submit_run(tests.workspace_id(), 'etl', params => '{"day": "2026-11-30", "n": 1.5}') $$,
    '22023',
    'params of etl v1: n: 1.5 is not of type ''integer''',
    'a fraction is not an integer'
);

-- TEST: valid params are stored with the defaults filled in
select is(
    (select r.params from public.submit_run(tests.workspace_id(), 'etl', params => '{"day": "2026-11-30", "n": 2.0}') as r),
    '{"day": "2026-11-30", "n": 2.0, "mode": "delta"}'::jsonb,
    '2.0 is an integer; the missing mode gets its default'
);

-- TEST: the same over the batch path, per item
select results_eq(
    $$ select a.outcome, a.code from public.submit_runs(tests.workspace_id(),
        '[{"spec_name": "etl", "params": {"day": "a"}}, {"spec_name": "etl", "params": {}},
          {"spec_name": "nope"}]') as a order by a.item $$,
    $$ values ('accepted'::text, null::text), ('rejected', '22023'), ('rejected', 'PT404') $$,
    'a batch answers per item: accepted, bad params, unknown spec'
);
select is(
    (select a.message from public.submit_runs(tests.workspace_id(), '[{"spec_name": "etl", "params": {}}]') as a),
    'params of etl v1: ''day'' is a required property',
    'the batch answer carries the same message'
);

-- TEST: a spec without a params schema takes any object
select tests.reset_role();
select tests.publish_spec(tests.workspace_id(), 'free', '1', jsonb_build_object('pool', tests.pool()));
select lives_ok(
    $$ select public.submit_run(tests.workspace_id(), 'free', params => '{"anything": [1, {"x": null}]}') $$,
    'no schema, no params check'
);

select * from finish();
rollback;

begin;
select plan(2);

select set_eq(
    $$ select * from tests.functions_executable_by_anon('public') $$,
    array['public.schema_version()'],
    'anon may execute only the allow-listed functions in public'
);

select is_empty(
    $$ select * from tests.functions_executable_by_anon('private') $$,
    'anon may execute nothing in private'
);

select * from finish();
rollback;

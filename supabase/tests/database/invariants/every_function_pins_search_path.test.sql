begin;
select plan(1);

-- TEST: every function pins search_path
select is_empty(
    $$ select * from tests.functions_without_search_path(array['public', 'private']) $$,
    'every function in public and private sets search_path to the empty string'
);

select * from finish();
rollback;

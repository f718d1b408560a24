from controlroom.page.server import main

main()

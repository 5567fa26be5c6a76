from qas.cli import main

main()

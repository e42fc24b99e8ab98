"""python -m benchmarks [options]: the benchmark (benchmarks/run.py); python -m benchmarks dcgan ...: samples.py."""
import sys

if len(sys.argv) > 1 and sys.argv[1] == "dcgan":
    from benchmarks.samples import main as samples_main

    samples_main(sys.argv[2:])
else:
    from benchmarks.run import main

    main()

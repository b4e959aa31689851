import sys

from grader.harness.runner import main

sys.exit(main())

"""`python -m cart_chain` behaves exactly like the `cart-chain` console script."""

from cart_chain.cli.main import main

raise SystemExit(main())

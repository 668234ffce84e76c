"""The desktop app (PySide6).

Views lay out and style; every action is a call into `cart_chain.services`. Nothing
here imports SQLAlchemy or `cart_chain.store`, and the heavy service modules are
imported only after the login window is on screen (see `app.py`).
"""

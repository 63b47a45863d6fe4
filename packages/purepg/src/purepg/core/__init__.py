"""Each connection and cursor operation, written once for blocking and asyncio use.

An operation is a generator (``purepg.core.operation``): it queues requests on the protocol
machine and yields what it needs done, a ``flow.Run`` (drive the machine until the requests
are answered) or a ``Receive`` (wait for whatever the server sends), and gets the answer
back. ``purepg.io.blocking.Transport.wait`` and ``purepg.io.aio.AsyncTransport.wait`` perform
those steps with a socket or with asyncio; ``Connection``/``Cursor`` and ``AsyncConnection``/
``AsyncCursor`` are thin shells that start an operation and wait for it.

The modules here are the connection's implementation: they read and update the state a
``Session`` (``purepg.core.session``) keeps.
"""

"""The learner: points for the additive model from won and lost deals (``make learn``).

Outside ``chalicelib`` on purpose: numpy and scikit-learn never reach the Lambda
bundle of the API and stream functions (tests/unit/test_learner.py checks that
importing ``app`` loads neither). It reads through the same services as
``make rescore`` and writes ``dist/model-proposal.yaml`` and ``dist/backtest.json``.
"""

#!/usr/bin/env python3
"""CDK entry point: `cdk synth|deploy [-c stage=prod] [-c layer_dir=...]`.

Settings: cdk.json, validated by infra/config.py.
"""

from aws_cdk import App

from infra.stack import build_app

app = App()
build_app(app)
app.synth()

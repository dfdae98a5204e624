"""Stand-in of reana_job_controller.factory.create_app: RJC's Flask app, configured from ``config``."""

from flask import Flask
from reana_db.database import Session

from reana_job_controller import config


def create_app(config_mapping=None):
    app = Flask(__name__)
    app.session = Session
    app.config.from_object(config)
    if config_mapping:
        app.config.from_mapping(config_mapping)
    from reana_job_controller.rest import blueprint

    app.register_blueprint(blueprint, url_prefix="/")
    app.teardown_appcontext(lambda exc: Session.close())
    return app

"""`update`-level outer middlewares, in the order `bot.app` registers them:

1. `throttling.DuplicateCallbackMiddleware` drops a button press repeated while the first is
   still queued or being handled (flooding a button does not break the dialog);
2. `throttling.ChatSerialMiddleware` handles one chat's updates one after another;
3. `employee.EmployeeMiddleware` puts `employee` (or None) into the handler data;
4. `locale.LocaleMiddleware` puts `locale`, `i18n` (a `Translator`), `_` and `gettext`;
5. `strangers.StrangerMiddleware` lets strangers through only with `/start <invitation>`, and
   refuses everyone else once.

They also see aiogram-dialog's background updates (`BgManagerFactory`), which go through the
dispatcher's `update` observer, so a pushed window knows its employee and language.
"""

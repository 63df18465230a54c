"""Ukrainian translations of the bot's msgids, until the lead merges them into
locales/uk/LC_MESSAGES/crm.po. The tests overlay them on the catalogue (`uk_catalogue` fixture),
so "Ukrainian by default, English after Settings" is checked on real Ukrainian text."""

UK = {
    # main menu and settings
    "<b>{name}</b>, {role}\nWhat shall we do?": "<b>{name}</b>, {role}\nЩо робимо?",
    "Settings": "Налаштування",
    "<b>Settings</b>\nLanguage: {language}\nTime zone: {timezone}": (
        "<b>Налаштування</b>\nМова: {language}\nЧасовий пояс: {timezone}"
    ),
    "Language": "Мова",
    "Time zone": "Часовий пояс",
    "Back": "Назад",
    "Main menu": "Головне меню",
    "Choose the language of the bot:": "Оберіть мову бота:",
    "Choose your time zone:": "Оберіть свій часовий пояс:",
    # roles
    "manager": "менеджер",
    "head of sales": "керівник відділу продажу",
    "administrator": "адміністратор",
    # commands
    "Start the bot": "Запустити бота",
    "Cancel and return to the main menu": "Скасувати й повернутися до головного меню",
    "Help": "Довідка",
    "<b>CRM bot</b>\n"
    "Everything is on the buttons of the main menu.\n"
    "/menu: the main menu\n"
    "/cancel: stop what you are doing and return to the menu\n"
    "/help: this help": (
        "<b>CRM-бот</b>\n"
        "Усе потрібне — на кнопках головного меню.\n"
        "/menu: головне меню\n"
        "/cancel: припинити поточну дію й повернутися до меню\n"
        "/help: ця довідка"
    ),
    "Welcome, %(name)s! You are registered as %(role)s.": (
        "Вітаємо, %(name)s! Вас зареєстровано як: %(role)s."
    ),
    # strangers and errors
    "Sorry, this bot works only for the employees of the company. "
    "Ask your administrator for an invitation link.": (
        "Вибачте, цей бот працює лише для працівників компанії. "
        "Попросіть в адміністратора посилання-запрошення."
    ),
    "Sorry, something went wrong. Please try again or send /menu.": (
        "Вибачте, щось пішло не так. Спробуйте ще раз або надішліть /menu."
    ),
    "That screen is out of date; here is the main menu.": ("Цей екран застарів; ось головне меню."),
    # services/settings_prefs.py (EXTRA_FIELD_NAMES / EXTRA_REASONS)
    "is not a time zone such as Europe/Kyiv": "не є часовим поясом на зразок Europe/Kyiv",
}

# hostile prior: endless swallowing budget
# expect: refused at load
def policy(obs):
    while True:
        try:
            while True:
                pass
        except Exception:
            pass

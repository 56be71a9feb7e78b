# hostile prior: endless swallowing budget
# expect: refused at load
# refused: loop iterations/function calls in one call
def policy(obs):
    while True:
        try:
            while True:
                pass
        except Exception:
            pass

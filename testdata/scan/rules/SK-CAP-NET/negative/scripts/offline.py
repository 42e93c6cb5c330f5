print('no network here')

import { PasswordHasher } from './password-hasher.service';

describe('PasswordHasher', () => {
  it('makes the dummy hash at module init, so the first unknown-user login does no extra hashing', async () => {
    const hasher = new PasswordHasher();
    const hash = jest.spyOn(hasher, 'hash');
    await hasher.onModuleInit();
    expect(hash).toHaveBeenCalledTimes(1);
    await expect(hasher.verifyDummy('any password')).resolves.toBe(false);
    await hasher.verifyDummy('another password');
    expect(hash).toHaveBeenCalledTimes(1);
  });
});

<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Native;

use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Native\Exception\InvalidArgumentException;
use Drupal\entra_provisioning\Native\JsonCodec;
use PHPUnit\Framework\Attributes\DataProvider;
use PHPUnit\Framework\TestCase;

/**
 * The JSON rules of the binding, without the library.
 */
final class JsonCodecTest extends TestCase {

  public function testEncodeKeepsSlashesAndUnicodeReadable(): void {
    $this->assertSame('{"url":"https://x/y","name":"Zoë"}', JsonCodec::encode(['url' => 'https://x/y', 'name' => 'Zoë'], 'a request'));
  }

  public function testEncodeFailureNamesWhatButNotTheValue(): void {
    try {
      JsonCodec::encode(['secret' => "top-secret-\xB1"], 'the client configuration');
      $this->fail('expected InvalidArgumentException');
    }
    catch (InvalidArgumentException $e) {
      $this->assertStringContainsString('the client configuration', $e->getMessage());
      $this->assertStringNotContainsString('top-secret', $e->getMessage());
      $this->assertSame('json_encode', $e->operation());
    }
  }

  public function testDecodeResultReturnsTheArray(): void {
    $this->assertSame(['a' => [1, 2]], JsonCodec::decodeResult('entra_x', 0, '{"a":[1,2]}'));
  }

  /**
   * @return array<string, array{0: ?string, 1: string}>
   */
  public static function badResultProvider(): array {
    return [
      'no string' => [NULL, 'without a result'],
      'not JSON' => ['{', 'not valid JSON'],
      'a scalar' => ['42', 'not a JSON object or array'],
    ];
  }

  /**
   * @dataProvider badResultProvider
   */
  #[DataProvider('badResultProvider')]
  public function testDecodeResultRefusesWhatIsNotAResult(?string $json, string $message): void {
    try {
      JsonCodec::decodeResult('entra_x', 0, $json);
      $this->fail('expected EntraException');
    }
    catch (EntraException $e) {
      $this->assertSame('internal', $e->kind());
      $this->assertSame('entra_x', $e->operation());
      $this->assertStringContainsString($message, $e->getMessage());
    }
  }

  public function testDecodeErrorNeverThrowsAndAlwaysHasAMessage(): void {
    $this->assertStringContainsString('status 3', JsonCodec::decodeError('entra_x', 3, NULL)['message']);
    $this->assertStringContainsString('not valid JSON', JsonCodec::decodeError('entra_x', 3, '{')['message']);
    $this->assertStringContainsString('not a JSON object', JsonCodec::decodeError('entra_x', 3, '"text"')['message']);
    $this->assertSame(['kind' => 'auth', 'message' => 'm'], JsonCodec::decodeError('entra_x', 3, '{"kind":"auth","message":"m"}'));
  }

  public function testDecodeErrorRedactsEveryNestedString(): void {
    $json = '{"message":"bad s3cr3t-value","details":{"hint":"use s3cr3t-value","n":5}}';
    $error = JsonCodec::decodeError('entra_client_new', 2, $json, ['s3cr3t-value']);
    $this->assertSame(['message' => 'bad [REDACTED]', 'details' => ['hint' => 'use [REDACTED]', 'n' => 5]], $error);
  }

  public function testListRolesTurnsAMapIntoAList(): void {
    $user = JsonCodec::listRoles(['uid' => 1, 'roles' => ['editor' => 'editor', 'admin' => 'admin']]);
    $this->assertSame('{"uid":1,"roles":["editor","admin"]}', JsonCodec::encode($user, 'a user'));
    $this->assertSame(['uid' => 2], JsonCodec::listRoles(['uid' => 2]));
  }

}

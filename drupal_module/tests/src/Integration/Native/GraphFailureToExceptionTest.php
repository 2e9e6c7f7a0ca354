<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Native;

use Drupal\entra_provisioning\Native\Exception\AuthException;
use Drupal\entra_provisioning\Native\Exception\ConflictException;
use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Native\Exception\GraphException;
use Drupal\entra_provisioning\Native\Exception\NotFoundException;
use Drupal\entra_provisioning\Native\Exception\PermissionException;
use Drupal\entra_provisioning\Native\Exception\ThrottledException;
use Drupal\entra_provisioning\Native\Exception\TransientException;
use Drupal\entra_provisioning\Native\Exception\ValidationException;
use Drupal\entra_provisioning\Native\Status;
use Drupal\Tests\entra_provisioning\Support\EmulatorProcess;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * Every error kind reaches PHP as its exception class, with Graph's request-id.
 */
final class GraphFailureToExceptionTest extends NativeTestCase {

  private const UNKNOWN_ID = '00000000-0000-0000-0000-00000000dead';

  /**
   * Fast-failing client settings for tests that provoke failures.
   */
  private const FAST = ['timeout_ms' => 2000, 'max_retries' => 1];

  public function testWrongSecretIsAnAuthErrorWithTheAadstsCode(): void {
    $emulator = $this->startEmulator();
    $wrong = 'wrong-secret-' . bin2hex(random_bytes(6));
    $native = $this->native($emulator->clientConfig(['client_secret' => $wrong] + self::FAST));
    $e = $this->catchEntra(function () use ($native): void {
      $native->testConnection('adele@contoso.onmicrosoft.com');
    }, AuthException::class);
    $this->assertSame(Status::AUTH, $e->getCode());
    $this->assertSame('AADSTS7000215', $e->aadsts());
    $this->assertSame(401, $e->httpStatus());
    $this->assertNotNull($e->requestId(), 'the token endpoint\'s request id is kept');
    $this->assertNotNull($e->hint());
    $this->assertFalse($e->isRetryable());
    $this->assertFalse(str_contains((string) $e, $wrong), 'the secret appears in the exception as a string');
    $this->assertFalse(str_contains(json_encode($e->toArray(), JSON_THROW_ON_ERROR), $wrong), 'the secret appears in toArray()');
    $this->assertFalse(str_contains(json_encode($e->details(), JSON_THROW_ON_ERROR), $wrong), 'the secret appears in details()');
  }

  public function testReadOnlyAppIsAPermissionError(): void {
    $emulator = $this->startEmulator(['--permissions', 'User.Read.All']);
    $native = $this->native($emulator->clientConfig(self::FAST));
    // Reading works with User.Read.All ...
    $this->assertTrue($native->findUser(['upn' => 'adele@contoso.onmicrosoft.com'])['found']);
    // ... creating does not.
    $e = $this->catchEntra(function () use ($native): void {
      $native->provisionUser(self::drupalUser(30, 'readonly'));
    }, PermissionException::class);
    $this->assertSame(403, $e->httpStatus());
    $this->assertSame('Authorization_RequestDenied', $e->graphCode());
    $this->assertNotNull($e->requestId());
    $this->assertStringContainsString('User.ReadWrite.All', (string) $e->hint());
  }

  public function testInvalidUserIsAValidationErrorNamingTheField(): void {
    $emulator = $this->startEmulator();
    $native = $this->native($emulator->clientConfig(self::FAST));
    $before = count(ProvisioningTest::requestLog($emulator));
    $e = $this->catchEntra(function () use ($native): void {
      $native->provisionUser(self::drupalUser(31, 'ok.name', ['mail' => 'not-an-address']));
    }, ValidationException::class);
    $this->assertSame('mail', $e->field());
    $this->assertSame($before, count(ProvisioningTest::requestLog($emulator)), 'a user Graph would reject is never sent');
  }

  public function testGraphRejectionIsAValidationErrorWithTheRequestId(): void {
    $emulator = $this->startEmulator();
    $emulator->addFault(['method' => 'POST', 'path_contains' => '/users', 'status' => 400, 'code' => 'Request_BadRequest', 'message' => 'Invalid value specified for property.']);
    $native = $this->native($emulator->clientConfig(self::FAST));
    $e = $this->catchEntra(function () use ($native): void {
      $native->provisionUser(self::drupalUser(32, 'rejected'));
    }, ValidationException::class);
    $this->assertSame(400, $e->httpStatus());
    $this->assertSame('Request_BadRequest', $e->graphCode());
    $this->assertNotNull($e->requestId());
  }

  public function testUnknownIdIsNotFound(): void {
    $emulator = $this->startEmulator();
    $native = $this->native($emulator->clientConfig(self::FAST));
    $e = $this->catchEntra(function () use ($native): void {
      $native->updateUser(self::UNKNOWN_ID, self::drupalUser(33, 'ghost'));
    }, NotFoundException::class);
    $this->assertSame('entra_id', $e->field());
    $this->assertSame(404, $e->httpStatus());
    $this->assertNotNull($e->requestId(), 'the request-id of the 404 lookup is kept');
    $this->assertNotNull($e->hint());

    $e = $this->catchEntra(function () use ($native): void {
      $native->testConnection('nobody@contoso.onmicrosoft.com');
    }, NotFoundException::class);
    $this->assertSame('upn', $e->field());
    $this->assertNotNull($e->requestId());

    // A user gone from Entra leaves nothing to disable: the library says so.
    $gone = $native->disableUser(self::UNKNOWN_ID);
    $this->assertSame('already_deleted', $gone['action']);
    $this->assertNotNull($gone['request_id'] ?? NULL, 'Graph gave a request-id with its 404');
  }

  public function testConflictWithoutAReadableUserIsAConflictError(): void {
    $emulator = $this->startEmulator();
    $emulator->addFault(['method' => 'POST', 'path_contains' => '/users', 'status' => 409, 'code' => 'Conflict']);
    $native = $this->native($emulator->clientConfig(self::FAST));
    $e = $this->catchEntra(function () use ($native): void {
      $native->provisionUser(self::drupalUser(34, 'held.by.deleted'));
    }, ConflictException::class);
    $this->assertSame('userPrincipalName', $e->field());
    $this->assertNotNull($e->hint());
  }

  public function testOtherGraphErrorsAreGraphErrors(): void {
    $emulator = $this->startEmulator();
    $emulator->addFault(['method' => 'GET', 'path_contains' => '/users', 'status' => 418, 'code' => 'Teapot']);
    $native = $this->native($emulator->clientConfig(self::FAST));
    $e = $this->catchEntra(function () use ($native): void {
      $native->findUser(['upn' => 'adele@contoso.onmicrosoft.com']);
    }, GraphException::class);
    $this->assertSame(418, $e->httpStatus());
    $this->assertSame('Teapot', $e->graphCode());
    $this->assertNotNull($e->requestId());
  }

  public function testPersistent503IsTransient(): void {
    $emulator = $this->startEmulator();
    $emulator->addFault(['path_contains' => '/users', 'status' => 503]);
    $native = $this->native($emulator->clientConfig(self::FAST));
    $e = $this->catchEntra(function () use ($native): void {
      $native->findUser(['upn' => 'adele@contoso.onmicrosoft.com']);
    }, TransientException::class);
    $this->assertSame(503, $e->httpStatus());
    $this->assertTrue($e->isRetryable());
    $this->assertNotNull($e->requestId());
  }

  public function testPersistent429IsThrottledWithRetryAfter(): void {
    $emulator = $this->startEmulator();
    $emulator->addFault(['path_contains' => '/users', 'status' => 429, 'retry_after_s' => 2]);
    $native = $this->native($emulator->clientConfig(['max_retries' => 0, 'timeout_ms' => 2000]));
    $e = $this->catchEntra(function () use ($native): void {
      $native->provisionUser(self::drupalUser(35, 'throttled'));
    }, ThrottledException::class);
    $this->assertSame(429, $e->httpStatus());
    $this->assertSame(2.0, $e->retryAfterSeconds());
    $this->assertTrue($e->isRetryable());
    $this->assertNotNull($e->requestId());
  }

  public function testRetryAfterIsHonouredAndRiddenOut(): void {
    $emulator = $this->startEmulator();
    $emulator->addFault(['method' => 'POST', 'path_contains' => '/users', 'status' => 429, 'retry_after_s' => 1, 'count' => 3]);
    $native = $this->native($emulator->clientConfig(['max_retries' => 5, 'timeout_ms' => 5000]));
    $result = $native->provisionUser(self::drupalUser(36, 'patient'));
    $this->assertSame('created', $result['action']);

    $posts = array_values(array_filter(ProvisioningTest::requestLog($emulator), static function (array $r): bool {
      return strtoupper((string) ($r['method'] ?? '')) === 'POST' && preg_match('#/users/?$#', (string) parse_url((string) ($r['path'] ?? ''), PHP_URL_PATH)) === 1;
    }));
    $this->assertCount(4, $posts, 'three throttled creates and one that succeeded');
    for ($i = 0; $i < 3; $i++) {
      $this->assertSame(429, $posts[$i]['status'] ?? NULL);
      $this->assertSame(1, $posts[$i]['retry_after_s'] ?? NULL);
    }
    $this->assertSame(201, $posts[3]['status'] ?? NULL);
    for ($i = 1; $i < 4; $i++) {
      // From the moment the 429 was answered to the arrival of the retry.
      $answered = self::timeOf($posts[$i - 1]) + ((float) ($posts[$i - 1]['duration_ms'] ?? 0)) / 1000;
      $gap = self::timeOf($posts[$i]) - $answered;
      $this->assertGreaterThanOrEqual(0.999, $gap, sprintf('retry %d came %.3f s after a 429 with Retry-After: 1', $i, $gap));
    }
    $this->assertSame(1, count(array_filter(self::emulatorUsers($emulator), static function (array $u): bool {
      return ($u['userPrincipalName'] ?? '') === 'patient@contoso.onmicrosoft.com';
    })));
  }

  /**
   * Seconds (float) at which the emulator logged a request.
   *
   * @param array<string, mixed> $entry
   */
  public static function timeOf(array $entry): float {
    foreach (['t_ms' => 1000.0, 'at_ms' => 1000.0, 'time_ms' => 1000.0, 'ts_ms' => 1000.0, 'received_ms' => 1000.0, 'elapsed_ms' => 1000.0, 'at_us' => 1000000.0, 'at_s' => 1.0, 'at' => 1.0, 'time' => 1.0] as $key => $divisor) {
      if (isset($entry[$key]) && (is_int($entry[$key]) || is_float($entry[$key]))) {
        return $entry[$key] / $divisor;
      }
    }
    foreach (['at', 'time', 'timestamp', 'received_at'] as $key) {
      if (isset($entry[$key]) && is_string($entry[$key])) {
        $date = new \DateTimeImmutable($entry[$key]);

        return (float) $date->format('U.u');
      }
    }
    throw new \RuntimeException('No timestamp in request log entry: ' . json_encode($entry));
  }

  /**
   * Runs $call, asserts it throws exactly $class, returns the exception.
   *
   * @param class-string<EntraException> $class
   */
  private function catchEntra(callable $call, string $class): EntraException {
    try {
      $call();
    }
    catch (EntraException $e) {
      $this->assertSame($class, get_class($e), 'got ' . get_class($e) . ': ' . $e->getMessage());
      // The kind is the one the library reports for the status it returned.
      $this->assertSame($this->libraryFacts()->statuses()[$e->getCode()]['kind'] ?? NULL, $e->kind());
      $this->assertSame($e->getCode(), $e->details()['status'] ?? NULL, 'the error object names its status');
      $this->assertFalse(str_contains((string) $e, EmulatorProcess::CLIENT_SECRET), 'the secret appears in the exception as a string');

      return $e;
    }
    $this->fail('expected ' . $class);
  }

}

<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Provisioning;

use Drupal\entra_provisioning\Native\Exception\EntraException;
use Drupal\entra_provisioning\Native\Exception\NativeUnavailableException;
use Drupal\entra_provisioning\Native\LibraryFacts;
use Drupal\entra_provisioning\Native\Status;
use Drupal\entra_provisioning\Provisioning\ResultFormatter;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeNativeFactory;
use PHPUnit\Framework\TestCase;

/**
 * Each error kind becomes an admin message with code, request-id and fix.
 */
final class ResultFormatterTest extends TestCase {

  /**
   * @return array<string, array{0: int, 1: array<string, mixed>, 2: string, 3: list<string>}>
   */
  public function errors(): array {
    return [
      'auth (AADSTS)' => [Status::AUTH, ['message' => 'Invalid client secret provided.', 'http_status' => 401, 'aadsts' => 'AADSTS7000215', 'request_id' => 'req-auth', 'hint' => 'Create a new client secret in Entra ID and enter it on step 1.'],
        'Authentication failed', ['AADSTS7000215', 'HTTP 401', 'request-id req-auth', 'Fix: Create a new client secret']],
      'permission' => [Status::PERMISSION, ['message' => 'Insufficient privileges to complete the operation.', 'http_status' => 403, 'graph_code' => 'Authorization_RequestDenied', 'request_id' => 'req-perm'],
        'Permission missing', ['Authorization_RequestDenied', 'HTTP 403', 'request-id req-perm', 'Fix: What the library advises']],
      'config' => [Status::CONFIG, ['message' => 'tenant_id must be the Directory (tenant) ID', 'field' => 'tenant_id'],
        'Configuration invalid', ['field tenant_id', 'Fix: What the library advises']],
      'validation' => [Status::VALIDATION, ['message' => 'The domain portion of the userPrincipalName property is invalid.', 'http_status' => 400, 'graph_code' => 'Request_BadRequest', 'request_id' => 'req-val', 'hint' => 'Verify the domain in Entra ID or change the primary domain.'],
        'Rejected by Entra ID validation', ['Request_BadRequest', 'HTTP 400', 'request-id req-val', 'Fix: Verify the domain']],
      'conflict' => [Status::CONFLICT, ['message' => 'Another object with the same value for property userPrincipalName already exists.', 'http_status' => 409, 'graph_code' => 'Conflict', 'request_id' => 'req-c'],
        'Conflict in Entra ID', ['Conflict', 'HTTP 409', 'request-id req-c']],
      'not found' => [Status::NOT_FOUND, ['message' => 'Resource does not exist.', 'http_status' => 404, 'graph_code' => 'Request_ResourceNotFound', 'request_id' => 'req-nf'],
        'Not found in Entra ID', ['Request_ResourceNotFound', 'HTTP 404', 'request-id req-nf']],
      'throttled' => [Status::THROTTLED, ['message' => 'Too many requests.', 'http_status' => 429, 'graph_code' => 'TooManyRequests', 'request_id' => 'req-t', 'retry_after_s' => 7],
        'Throttled by Microsoft Graph', ['HTTP 429', 'request-id req-t']],
      'transient' => [Status::TRANSIENT, ['message' => 'Service unavailable.', 'http_status' => 503, 'request_id' => 'req-503'],
        'Microsoft Graph temporarily unavailable', ['HTTP 503', 'request-id req-503']],
      'graph' => [Status::GRAPH, ['message' => 'I am a teapot.', 'http_status' => 418, 'graph_code' => 'Teapot', 'request_id' => 'req-418'],
        'Microsoft Graph error', ['Teapot', 'HTTP 418', 'request-id req-418']],
    ];
  }

  /**
   * @dataProvider errors
   *
   * @param array<string, mixed> $details
   * @param list<string> $expected
   */
  public function testEachKindNamesItsCause(int $status, array $details, string $title, array $expected): void {
    $formatter = new ResultFormatter();
    // As the library writes an error object: its kind and title for the
    // status (the fixture of entra_describe), and always a hint.
    $library = (new LibraryFacts(FakeNativeFactory::fixtureFacts()))->statuses()[$status];
    $details += ['kind' => $library['kind'], 'title' => $library['title'], 'hint' => 'What the library advises.'];
    $e = EntraException::fromStatus($status, $details, 'entra_provision_user');
    $error = $formatter->describeError($e);
    $this->assertSame($library['kind'], $error['kind']);
    $this->assertSame($title, $error['title']);
    $this->assertSame($details['request_id'] ?? NULL, $error['request_id']);
    $summary = $formatter->summary($error);
    $this->assertStringStartsWith($title . ': ', $summary);
    foreach ($expected as $fragment) {
      $this->assertStringContainsString($fragment, $summary . ' ' . json_encode($formatter->errorRows($error)));
    }
    $this->assertSame($details['hint'], $error['fix'], "the fix is the library's hint");
  }

  public function testUnavailableAndForeignExceptions(): void {
    $formatter = new ResultFormatter();
    $error = $formatter->describeError(new NativeUnavailableException('ffi.enable=preload restricts FFI under the "fpm-fcgi" SAPI: set ffi.enable=1'));
    $this->assertSame('Native library unavailable', $error['title']);
    $this->assertStringContainsString('ffi.enable=1', $formatter->summary($error));

    $error = $formatter->describeError(new \RuntimeException('database gone'));
    $this->assertSame('internal', $error['kind']);
    $this->assertStringContainsString('RuntimeException: database gone', $formatter->summary($error));
  }

  public function testAttributeRowsAreSortedAndFlattened(): void {
    $rows = (new ResultFormatter())->attributeRows(['userPrincipalName' => 'a@b.c', 'accountEnabled' => TRUE, 'businessPhones' => ['1', '2'], 'mail' => NULL]);
    $this->assertSame([
      ['accountEnabled', 'true'],
      ['businessPhones', '["1","2"]'],
      ['mail', '(none)'],
      ['userPrincipalName', 'a@b.c'],
    ], $rows);
  }

  public function testSuccessSummary(): void {
    $line = (new ResultFormatter())->successSummary('jdoe', ['action' => 'linked', 'id' => 'oid-1', 'userPrincipalName' => 'jdoe@contoso.com', 'request_id' => 'r-1']);
    $this->assertSame('Linked existing Entra ID account jdoe@contoso.com (object id oid-1) for Drupal user jdoe (request-id r-1).', $line);
  }

}
